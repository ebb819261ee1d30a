"""Lanes and cells: which cards one lane × one status holds, and how a lane is named outside the database.

A lane is a department, or the unrouted lane («Не распределено»), whose department id is ``None`` in the
database and in Python and whose key is ``UNROUTED_KEY`` in URLs, forms and DOM ids (docs/glossary.md).
"""
from datetime import datetime

from sqlalchemy import and_

from .models import Incident
from .workflow import OPEN_STATUSES, RESOLVED

UNROUTED_KEY = "unrouted"


def lane_key(department_id: int | None) -> str:
    """A lane as it is written in URLs, forms and DOM ids."""
    return UNROUTED_KEY if department_id is None else str(department_id)


def in_lane(department_id: int | None):
    """The SQL condition "the incident is in this lane"."""
    return Incident.department_id.is_(None) if department_id is None else Incident.department_id == department_id


def on_board(solved_since: datetime) -> tuple:
    """The board's cards as two SQL conditions, each served by its own covering index (the board lists them
    as a UNION ALL): open incidents, and incidents solved within the window the board shows. A duplicate is
    «Отклонено», so never on the board."""
    return (Incident.status.in_(OPEN_STATUSES), and_(Incident.status == RESOLVED, Incident.resolved_at >= solved_since))


def in_cell(department_id: int | None, status: str, solved_since: datetime):
    """The SQL condition "the incident is a card of this cell": its lane and status, and for «Решено» solved
    within the window the board shows."""
    condition = and_(in_lane(department_id), Incident.status == status)
    if status == RESOLVED:
        condition = and_(condition, Incident.resolved_at >= solved_since)
    return condition
