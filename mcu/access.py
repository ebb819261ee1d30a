"""Who may reach an incident and what they may do with it: one rule, read in SQL and in Python alike.

The role table (``mcu.roles``) names each role's scope; ``REACH`` says what a scope requires of an incident,
as pairs (incident column, user attribute) that must be equal and set. ``scope()`` turns that into a WHERE
clause for every statement that lists incidents; ``reaches()`` checks a loaded incident by the same pairs.
"""
from sqlalchemy import and_, false, true

from .models import Incident
from .roles import ROLES, can
from .workflow import IN_PROGRESS, NEEDS_ANSWER, STATUS_NAMES, can_transition

# scope -> (incident column, user attribute) pairs that must match; a role whose scope is missing reaches nothing
REACH = {
    "all": (),
    "department": (("department_id", "department_id"),),
    # a field worker reaches what is assigned to them while it stays in their department
    "assigned": (("assignee_id", "id"), ("department_id", "department_id")),
}
PROGRESS_TARGETS = {IN_PROGRESS}  # what "progress" (field staff) may move an assigned card to
MOVE_ACTIONS = ("move", "progress", "route", "return")  # any of them lets a role move some card somehow


def _pairs(user):
    rule = REACH.get(ROLES.get(user.role, {}).get("scope"))
    if rule is None:
        return None
    return [(column, getattr(user, attribute)) for column, attribute in rule]


def reach_signature(user) -> tuple | None:
    """What ``reach_clause`` depends on for this user: statements built for one signature serve every user with it."""
    pairs = _pairs(user)
    return None if pairs is None else tuple(pairs)


def reach_clause(user):
    """The SQL condition "the user may reach this incident"."""
    pairs = _pairs(user)
    if pairs is None:
        return false()
    return and_(true(), *[false() if value is None else getattr(Incident, column) == value
                          for column, value in pairs])


def scope(stmt, user):
    """Limit a statement over incidents to what the user may reach."""
    return stmt.where(reach_clause(user))


def reaches(user, incident) -> bool:
    """True when the loaded incident is within the user's reach (the same pairs as ``reach_clause``)."""
    pairs = _pairs(user)
    return pairs is not None and all(value is not None and getattr(incident, column) == value
                                     for column, value in pairs)


def can_move(role: str) -> bool:
    """True when the role may move some card in some way (the board then offers drag and the move menu)."""
    return any(can(role, action) for action in MOVE_ACTIONS)


def may(user, incident, action: str) -> bool:
    """The role grants the action and the incident is within the user's reach."""
    return can(user.role, action) and reaches(user, incident)


def allowed_targets(user, incident) -> list[str]:
    """Statuses this user may move this incident to, in board order."""
    if incident.duplicate_of_id or not reaches(user, incident):
        return []
    result = []
    for status in STATUS_NAMES:
        if not can_transition(incident.status, status):
            continue
        if status in NEEDS_ANSWER and not can(user.role, "answer"):
            continue
        if can(user.role, "move") or (can(user.role, "progress") and status in PROGRESS_TARGETS):
            result.append(status)
    return result
