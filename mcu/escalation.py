"""The escalation ladder and the deadline sweep that climbs it.

Every sweep (an `rq cron` job, DEADLINE_SWEEP_SECONDS) re-assesses cards' urgency, then for each card past the
deadline it is held to takes the ladder's steps whose time has come: at the deadline («Просрочено») the
department's heads are told; ESCALATE_OPERATORS_AFTER_HOURS working hours later («Эскалация») the МЦУ operators
are, and the card carries «Эскалация» on the board. A step is taken once per card and deadline: its key
(``escalation_step``) is written in the transaction of its history line, so two workers or a restart cannot take
it twice. A card answered (no deadline held) leaves the ladder; a new deadline starts it again.
"""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import case, exists, select, update

from . import urgency
from .deadlines import HELD_TO
from .dedup import insert_once
from .extensions import db
from .history import record
from .lanes import bump
from .models import EscalationStep, Incident
from .notifications import service as notifications
from .notifications.rules import ESCALATED, OVERDUE
from .work_calendar import from_settings
from .workflow import INTERIM

# (step, the setting saying how many working hours after the deadline it comes, who is told)
LADDER = (
    (OVERDUE, "ESCALATE_HEADS_AFTER_HOURS", lambda department_id: notifications.heads_of(department_id)),
    (ESCALATED, "ESCALATE_OPERATORS_AFTER_HOURS", lambda _department_id: notifications.operators()),
)
BATCH = 500


def held_due_sql():
    """The deadline a card is held to, as SQL (``urgency.held_due``)."""
    return case((Incident.status == INTERIM, Incident.resolve_due), else_=Incident.first_answer_due)


def climb(now: datetime, cfg, tz: ZoneInfo) -> int:
    """Take every step of the ladder that has come for every card past its deadline; returns the steps taken."""
    calendar = from_settings(cfg, tz)
    due_sql = held_due_sql()
    last_step = LADDER[-1][0]
    done = exists().where(EscalationStep.incident_id == Incident.id, EscalationStep.deadline == due_sql,
                          EscalationStep.step == last_step)
    taken, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(Incident.id, Incident.status, Incident.department_id, Incident.first_answer_due,
                   Incident.resolve_due)
            .where(Incident.status.in_(tuple(HELD_TO)), due_sql <= now, ~done, Incident.id > last_id)
            .order_by(Incident.id).limit(BATCH)).all()
        if not rows:
            return taken
        last_id, lanes = rows[-1].id, set()
        for ident, status, department_id, first_due, resolve_due in rows:
            due = urgency.held_due(status, first_due, resolve_due)
            for step, setting, told in LADDER:
                hours = cfg[setting]
                if now < (calendar.add_working_time(due, timedelta(hours=hours)) if hours else due):
                    break
                if insert_once(EscalationStep, incident_id=ident, deadline=due, step=step, created_at=now) is None:
                    continue  # taken before (another worker, an earlier run)
                taken += 1
                record(ident, step, None, "", _iso(due), _("уведомлены руководители подразделения") if step == OVERDUE
                       else _("просрочено дольше %(n)d рабочих ч; уведомлены операторы МЦУ", n=hours))
                if step == ESCALATED:
                    db.session.execute(update(Incident).where(Incident.id == ident).values(escalated_due=due)
                                       .execution_options(synchronize_session=False))
                    lanes.add(department_id)
                notifications.notify(step, ident, _iso(due), told(department_id), now, cfg, tz)
        bump(lanes)
        db.session.commit()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sweep(now: datetime, cfg, tz: ZoneInfo) -> list[list[int]]:
    """One deadline sweep: urgency, the ladder, notifications of what the history says, and the notifications
    whose time has come (returned as the id groups to send, one job each)."""
    urgency.sweep(now, cfg, tz)
    climb(now, cfg, tz)
    notifications.scan_history(now, cfg, tz)
    return notifications.release(now)


__all__ = ["LADDER", "climb", "sweep"]
