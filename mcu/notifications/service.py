"""Making notifications: who is told of what by which channel and when, each once (a unique key per person,
event, card, channel and occasion), and releasing the ones whose time has come to the sending jobs.

The bell's rows are delivered when made. E-mail and Telegram rows wait for their ``due_at``: the next working
moment for a person with quiet hours outside working time (mcu/work_calendar.py), the next digest slot for a
head who takes new cards as a digest. Nothing here sends; ``mcu.notifications.sending`` does, in RQ jobs.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update

from ..dedup import insert_once
from ..extensions import db
from ..models import Event, Incident, Notification, NotificationSettings, SweepCursor, User
from ..work_calendar import from_settings
from ..workflow import ANSWERED, INTERIM, OPEN_STATUSES, RETURNED
from .rules import (
    APP,
    ASSIGNED,
    DEFAULT_CHANNELS,
    DEFERRABLE,
    EMAIL,
    EVENT_ROLES,
    NEW_INCIDENT,
    PENDING,
    QUEUED,
    SENT,
    TELEGRAM,
)
from .rules import (
    RETURNED as RETURNED_EVENT,
)

SCAN_CURSOR = "notifications"
LATE_COMMIT = 500  # history lines re-read behind the cursor: a transaction may commit after a newer one
REQUEUE_AFTER = timedelta(minutes=10)  # a row queued this long ago whose job never ran is queued again


def settings_of(user_id: int) -> NotificationSettings:
    """A person's notification settings (the defaults until they save the «Профиль» page)."""
    found = db.session.get(NotificationSettings, user_id)
    return found if found is not None else NotificationSettings(user_id=user_id, email="", telegram_chat_id="",
                                                                telegram_code="", quiet_hours=True, digest=False,
                                                                channels=None)


def channels_for(settings: NotificationSettings, event: str, cfg) -> list[str]:
    """The channels this person chose for this event that can reach them (an address set, the channel on)."""
    chosen = (settings.channels or {}).get(event, list(DEFAULT_CHANNELS))
    usable = {APP: True, EMAIL: bool(settings.email and cfg["SMTP_HOST"]),
              TELEGRAM: bool(settings.telegram_chat_id and cfg["TELEGRAM_BOT_TOKEN"])}
    return [c for c in (APP, EMAIL, TELEGRAM) if c in chosen and usable[c]]


def due_at(settings: NotificationSettings, channel: str, digest: bool, now: datetime, cfg, tz: ZoneInfo):
    """When a row may be sent: now, the next digest slot, and not before working time with quiet hours on."""
    if channel not in DEFERRABLE:
        return now
    at = now
    if digest:
        slot = timedelta(minutes=cfg["DIGEST_MINUTES"]).total_seconds()
        at = datetime.fromtimestamp((now.timestamp() // slot + 1) * slot, now.tzinfo)
    if settings.quiet_hours:
        at = from_settings(cfg, tz).next_working_moment(at)
    return at


def notify(event: str, incident_id: int, occasion: str, user_ids, now: datetime, cfg, tz: ZoneInfo) -> int:
    """Make the rows telling these people of this event (in the caller's transaction); a row whose key exists is
    not made again. Returns how many were made."""
    made = 0
    for user_id in sorted(set(user_ids)):
        settings = settings_of(user_id)
        for channel in channels_for(settings, event, cfg):
            digest = event == NEW_INCIDENT and settings.digest and channel in DEFERRABLE
            delivered = channel == APP
            made += insert_once(Notification, user_id=user_id, incident_id=incident_id, event=event, channel=channel,
                                occasion=occasion, state=SENT if delivered else PENDING, digest=digest,
                                attempts=0, last_error="", created_at=now,
                                due_at=due_at(settings, channel, digest, now, cfg, tz),
                                sent_at=now if delivered else None) is not None
    return made


def people(roles, department_id=None) -> list[int]:
    """Active users of these roles (of this department, when given)."""
    stmt = select(User.id).where(User.active.is_(True), User.role.in_(roles))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return list(db.session.scalars(stmt))


def heads_of(department_id) -> list[int]:
    return [] if department_id is None else people(("head",), department_id)


def operators() -> list[int]:
    return people(("operator",))


def _answered_by(incident_id: int) -> list[int]:
    """Who gave the card's latest answer (interim or final): the person an answer sent back returns to."""
    found = db.session.scalar(select(Event.user_id).where(Event.incident_id == incident_id,
                                                          Event.kind.in_(("answer", "interim")),
                                                          Event.user_id.is_not(None))
                              .order_by(Event.id.desc()).limit(1))
    return [] if found is None else [found]


def _allowed(user_ids, event: str) -> list[int]:
    """Only people whose role may be told of the event, and still active."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    return list(db.session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True),
                                                         User.role.in_(EVENT_ROLES[event]))))


def scan_history(now: datetime, cfg, tz: ZoneInfo, batch: int = 1000) -> int:
    """Notify of what the history says happened since the last scan: a new card in a department (arrived or
    routed there), an assignment, an answer sent back, a card returned to the operators. The one who made the
    change is not told. A first scan starts at the newest line (the past is not news). Returns rows made."""
    cursor = db.session.get(SweepCursor, SCAN_CURSOR)
    if cursor is None:
        newest = db.session.scalar(select(db.func.max(Event.id))) or 0
        insert_once(SweepCursor, name=SCAN_CURSOR, value=newest)
        db.session.commit()
        return 0
    start, made = max(0, cursor.value - LATE_COMMIT), 0
    interesting = or_(Event.kind.in_(("created", "routed", "department", "unrouted")),
                      and_(Event.kind == "assignee", Event.to_value != ""),
                      and_(Event.kind == "status", Event.to_value == RETURNED))
    while True:
        rows = db.session.execute(
            select(Event.id, Event.kind, Event.user_id, Event.incident_id, Incident.department_id, Incident.status,
                   Incident.assignee_id).join(Incident, Incident.id == Event.incident_id)
            .where(Event.id > start, interesting).order_by(Event.id).limit(batch)).all()
        for ident, kind, actor, incident_id, department_id, status, assignee_id in rows:
            event, occasion, whom = _what(kind, ident, incident_id, department_id, status, assignee_id)
            if event:
                made += notify(event, incident_id, occasion, [u for u in _allowed(whom, event) if u != actor],
                               now, cfg, tz)
        if rows:
            start = rows[-1][0]
        if len(rows) < batch:
            break
    db.session.execute(update(SweepCursor).where(SweepCursor.name == SCAN_CURSOR, SweepCursor.value < start)
                       .values(value=start))
    db.session.commit()
    return made


def _what(kind, event_id, incident_id, department_id, status, assignee_id):
    """(event, occasion, people) a history line tells of, or (None, ...)."""
    if kind in ("created", "routed", "department"):
        if department_id is None or status not in OPEN_STATUSES or status in (ANSWERED, INTERIM):
            return None, "", []
        return NEW_INCIDENT, f"d{department_id}", heads_of(department_id)
    if kind == "assignee":
        return ASSIGNED, f"e{event_id}", [assignee_id] if assignee_id else []
    if kind == "unrouted":
        return RETURNED_EVENT, f"e{event_id}", operators()
    # an answer sent back for revision: to whoever answered, and to the field worker on it
    return RETURNED_EVENT, f"e{event_id}", _answered_by(incident_id) + ([assignee_id] if assignee_id else [])


def release(now: datetime) -> list[list[int]]:
    """Hand the rows whose time has come to sending jobs: one job per row, one per person and channel for a
    digest. A row is released by one sweep only (an atomic state change); a row queued long ago whose job never
    ran (Redis lost it) is released again, and its job claims nothing if the first one did run."""
    rows = db.session.execute(
        update(Notification).where(or_(and_(Notification.state == PENDING, Notification.due_at <= now),
                                       and_(Notification.state == QUEUED, Notification.queued_at < now - REQUEUE_AFTER)))
        .values(state=QUEUED, queued_at=now)
        .returning(Notification.id, Notification.user_id, Notification.channel, Notification.digest)).all()
    db.session.commit()
    jobs, digests = [], {}
    for ident, user_id, channel, digest in sorted(rows):
        if digest:
            digests.setdefault((user_id, channel), []).append(ident)
        else:
            jobs.append([ident])
    return jobs + list(digests.values())
