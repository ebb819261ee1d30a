"""Deadlines in the city's working time (ЦУР practice; the numbers are settings, the calendar is
mcu/work_calendar.py), and bringing open cards' deadlines in line when the calendar or the settings change."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select, update

from .extensions import db
from .history import record
from .lanes import bump
from .models import EPOCH, Event, Incident
from .work_calendar import from_settings
from .workflow import IN_PROGRESS, INTERIM, NEW, RETURNED

# status of a card awaiting an answer -> the deadline it is held to (the one the board shows); answered,
# resolved and rejected cards keep theirs as they were
HELD_TO = {NEW: "first_answer_due", IN_PROGRESS: "first_answer_due", RETURNED: "first_answer_due",
           INTERIM: "resolve_due"}
# pages show minutes, and an interim answer's history line is written a few ms after its deadline was computed
MOVED_BY = timedelta(minutes=1)
BATCH = 500


def first_answer_due(received: datetime, urgent: bool, cfg, tz: ZoneInfo) -> datetime:
    """When the first public answer is due."""
    hours = cfg["URGENT_FIRST_ANSWER_HOURS"] if urgent else cfg["FIRST_ANSWER_HOURS"]
    return from_settings(cfg, tz).add_working_time(received, timedelta(hours=hours))


def first_answer_deadlines(cfg, tz: ZoneInfo):
    """`first_answer_due` with the settings read once, for a batch: a function of (received, urgent)."""
    add = from_settings(cfg, tz).add_working_time
    normal, urgent = timedelta(hours=cfg["FIRST_ANSWER_HOURS"]), timedelta(hours=cfg["URGENT_FIRST_ANSWER_HOURS"])
    return lambda received, is_urgent: add(received, urgent if is_urgent else normal)


def resolve_due_after_interim(interim_at: datetime, cfg, tz: ZoneInfo) -> datetime:
    """An interim answer moves the final deadline to this many working days later."""
    return from_settings(cfg, tz).add_working_days(interim_at, cfg["RESOLVE_AFTER_INTERIM_DAYS"])


def first_answer_stamp(cfg, tz: ZoneInfo):
    """The columns a message's first public answer (interim or final) stamps once: when, and the working minutes
    since receipt (whole, rounded down), so reports take a median in SQL. A function of (received, answered)."""
    between = from_settings(cfg, tz).working_time
    return lambda received, answered: {
        "first_answered_at": answered,
        "first_answer_work_minutes": int(between(received, answered).total_seconds() // 60)}


def stamp_first_answers(rows: list, cfg, tz: ZoneInfo) -> None:
    """Stamp the first answer of stored incidents: rows of (id, received, answered), e.g. an ingested batch."""
    if not rows:
        return
    stamp, table = first_answer_stamp(cfg, tz), Incident.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(
        first_answered_at=bindparam("at", type_=table.c.first_answered_at.type),
        first_answer_work_minutes=bindparam("minutes")),
        [{"_id": ident, "at": answered, "minutes": stamp(received, answered)["first_answer_work_minutes"]}
         for ident, received, answered in rows])


def recompute_open(cfg, tz: ZoneInfo, batch_size: int = BATCH) -> int:
    """Recompute the deadline every card awaiting an answer is held to; write the ones that moved, each with a
    history line and a new version, a batch per transaction. Returns how many moved."""
    moved, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(Incident.id, Incident.status, Incident.received_at, Incident.urgent, Incident.first_answer_due,
                   Incident.resolve_due, Incident.version, Incident.department_id)
            .where(Incident.status.in_(tuple(HELD_TO)), Incident.id > last_id).order_by(Incident.id).limit(batch_size)).all()
        if not rows:
            return moved
        last_id = rows[-1].id
        interim_at = _interim_moments([row.id for row in rows if row.status == INTERIM])
        changes = []
        for row in rows:
            if HELD_TO[row.status] == "first_answer_due":
                old, new = row.first_answer_due, first_answer_due(row.received_at, row.urgent, cfg, tz)
            elif row.resolve_due is not None and row.id in interim_at:
                old, new = row.resolve_due, resolve_due_after_interim(interim_at[row.id], cfg, tz)
            else:
                continue  # an interim card from a feed never had a final deadline here: nothing to move
            if old is None or abs(new - old) >= MOVED_BY:
                changes.append((row.id, row.version, HELD_TO[row.status], old, new, row.department_id))
        moved += _write(changes)


def _interim_moments(ids: list[int]) -> dict:
    """When each interim card got its (latest) interim answer, from its history."""
    if not ids:
        return {}
    became_interim = or_(Event.kind == "interim", and_(Event.kind == "status", Event.to_value == INTERIM))
    return dict(db.session.execute(select(Event.incident_id, func.max(Event.created_at))
                                   .where(Event.incident_id.in_(ids), became_interim)
                                   .group_by(Event.incident_id)).all())


def _write(changes: list) -> int:
    """Store one batch of moved deadlines; a card changed meanwhile (another version) is left to the next run."""
    written, now, lanes = 0, datetime.now(UTC), set()
    reason = _("пересчитан по производственному календарю")
    for incident_id, version, field, old, new, department_id in changes:
        result = db.session.execute(
            update(Incident).where(Incident.id == incident_id, Incident.version == version)
            .values({field: new, "version": Incident.version + 1, "updated_at": now,
                     "urgency_next_at": EPOCH})  # the deadline sweep re-assesses its urgency
            .execution_options(synchronize_session=False))
        if result.rowcount == 1:
            record(incident_id, field, None, _iso(old), _iso(new), reason)
            written += 1
            lanes.add(department_id)
    bump(lanes)
    db.session.commit()
    return written


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(UTC).isoformat(timespec="seconds")
