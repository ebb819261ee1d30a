"""How urgent a card's deadline is, stored so a cell can order by it without reading the clock.

A card is overdue once the deadline it is held to (``deadlines.HELD_TO``) has passed, due soon in the last
quarter of its rule's working time (9 working hours: the last 2 h 15 min), and calm before that or without a
deadline. The value only changes with time at known moments, so each card stores the next one
(``urgency_next_at``); the deadline sweep re-assesses the cards whose moment has come and steps the versions of
their lanes, and every write that changes a status or a deadline assesses the card itself.
"""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from .deadlines import HELD_TO
from .extensions import db
from .lanes import bump
from .models import EPOCH, Incident
from .work_calendar import from_settings
from .workflow import INTERIM

OVERDUE, SOON, CALM = 0, 1, 2
URGENCY_NAMES = {OVERDUE: "overdue", SOON: "soon", CALM: "calm"}  # CSS classes and filter values
__all__ = ["CALM", "EPOCH", "OVERDUE", "SOON", "assess", "held_due", "sweep", "values"]
BATCH = 1000


def held_due(status: str, first_due, resolve_due):
    """The deadline a card in this status is held to, or None."""
    field = HELD_TO.get(status)
    return None if field is None else (resolve_due if field == "resolve_due" else first_due)


def allowed(status: str, urgent: bool, cfg) -> timedelta:
    """The working time the rule gives for the deadline this status is held to."""
    if status == INTERIM:
        return timedelta(hours=cfg["RESOLVE_AFTER_INTERIM_DAYS"] * (cfg["WORKDAY_END"] - cfg["WORKDAY_START"]))
    return timedelta(hours=cfg["URGENT_FIRST_ANSWER_HOURS"] if urgent else cfg["FIRST_ANSWER_HOURS"])


def assess(status: str, urgent: bool, first_due, resolve_due, now: datetime, cfg, tz: ZoneInfo):
    """(urgency, the moment it next changes or None) of a card at ``now``."""
    due = held_due(status, first_due, resolve_due)
    if due is None:
        return CALM, None
    if due <= now:
        return OVERDUE, None
    calendar = from_settings(cfg, tz)
    quarter = allowed(status, urgent, cfg) / 4
    left = calendar.working_time_between(now, due)
    if left <= quarter:
        return SOON, due
    return CALM, calendar.add_working_time(now, left - quarter)


def values(status: str, urgent: bool, first_due, resolve_due, now: datetime, cfg, tz: ZoneInfo) -> dict:
    """The urgency columns for a write that changes a card's status or deadline."""
    urgency, next_at = assess(status, urgent, first_due, resolve_due, now, cfg, tz)
    return {"urgency": urgency, "urgency_next_at": next_at}


def sweep(now: datetime, cfg, tz: ZoneInfo, batch_size: int = BATCH) -> int:
    """Re-assess every card whose urgency changes at or before ``now``, a batch per transaction, and step the
    lanes whose cards changed urgency; a card changed meanwhile (another version) was assessed by its writer.
    Returns how many cards changed urgency."""
    changed, last_id = 0, 0
    while True:
        rows = db.session.execute(
            select(Incident.id, Incident.version, Incident.status, Incident.urgent, Incident.first_answer_due,
                   Incident.resolve_due, Incident.urgency, Incident.department_id)
            .where(Incident.urgency_next_at <= now, Incident.id > last_id).order_by(Incident.id)
            .limit(batch_size)).all()
        if not rows:
            return changed
        last_id = rows[-1].id
        lanes = set()
        for row in rows:
            urgency, next_at = assess(row.status, row.urgent, row.first_answer_due, row.resolve_due, now, cfg, tz)
            result = db.session.execute(
                update(Incident).where(Incident.id == row.id, Incident.version == row.version)
                .values(urgency=urgency, urgency_next_at=next_at).execution_options(synchronize_session=False))
            if result.rowcount == 1 and urgency != row.urgency:
                lanes.add(row.department_id)
                changed += 1
        bump(lanes)
        db.session.commit()
