"""Domain verbs that change an incident (move, reorder, answer, assign, comment, duplicate, enter by hand).

Nothing here knows of ``request``: the caller passes the user and the values; every verb checks the
user's role and reach on the object, writes the change with an atomic ``UPDATE ... WHERE version``,
records the history and bumps the board version in one transaction, then commits.
"""
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from .deadlines import resolve_due_after_interim
from .extensions import db
from .history import record
from .models import (
    Department,
    Event,
    Incident,
    bump_board_version,
)
from .roles import ROLES, can
from .workflow import (
    ANSWERED,
    IN_PROGRESS,
    INTERIM,
    NEEDS_ANSWER,
    NEEDS_REASON,
    RESOLVED,
    STATUS_NAMES,
    can_transition,
)

KEEP = object()  # "leave the department as it is"
TOP, END = "top", "end"  # where a card lands when no neighbour is given
STEP = 1024  # gap between renumbered positions (see docs/board.md)
PROGRESS_TARGETS = {IN_PROGRESS}  # what "progress" (field staff) may move an assigned card to
TEXT_LIMIT = 5000


class ActionError(Exception):
    """A refused change, with the Russian message a user reads and the HTTP status it maps to."""

    status = 400

    def __init__(self, message: str, incident: Incident | None = None, field_name: str | None = None):
        super().__init__(message)
        self.message = message
        self.incident = incident
        self.field_name = field_name


class Forbidden(ActionError):
    status = 403


class NotFound(ActionError):
    status = 404


class Conflict(ActionError):
    """Someone changed the card since the user saw it: nothing was written."""

    status = 409

    def __init__(self, message, incident, last_event: Event | None):
        super().__init__(message, incident)
        self.last_event = last_event


@dataclass
class Outcome:
    """A carried-out change: the incident as it is now and the board cells it touched."""

    incident: Incident
    cells: set = field(default_factory=set)
    noop: bool = False


def reaches(user, incident: Incident) -> bool:
    """True when the incident is within the user's scope (the same rule as the board's ``scope()``)."""
    reach = ROLES.get(user.role, {}).get("scope")
    if reach == "all":
        return True
    if reach == "department":
        return incident.department_id is not None and incident.department_id == user.department_id
    if reach == "assigned":
        return incident.assignee_id == user.id
    return False


def may(user, incident: Incident, action: str) -> bool:
    """The role grants the action and the incident is within the user's reach."""
    return can(user.role, action) and reaches(user, incident)


def allowed_targets(user, incident: Incident) -> list[str]:
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


def _load(incident_id: int, user) -> Incident:
    incident = db.session.execute(select(Incident).where(Incident.id == incident_id)
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
    if incident is None or not reaches(user, incident):
        raise NotFound(_("Такого сообщения нет или оно вам недоступно."))
    return incident


def last_event(incident_id: int) -> Event | None:
    """The newest history line: who changed the card last."""
    return db.session.scalars(select(Event).where(Event.incident_id == incident_id)
                              .order_by(Event.id.desc()).limit(1)).first()


def _conflict(incident: Incident) -> Conflict:
    event = last_event(incident.id)
    who = event.user.name if event is not None and event.user is not None else _("система")
    return Conflict(_("Карточку №%(id)d уже изменил(а) %(who)s: показано её текущее состояние, ваше действие "
                      "не применено.", id=incident.id, who=who), incident, event)


def _text(value: str | None) -> str:
    return (value or "").strip()[:TEXT_LIMIT]


def _name(department_id) -> str:
    if department_id is None:
        return str(_("Не распределено"))
    dep = db.session.get(Department, department_id)
    return dep.short_name if dep else str(department_id)


def _cell_filter(stmt, department_id, status, now, window_hours):
    stmt = stmt.where(Incident.status == status, Incident.duplicate_of_id.is_(None))
    stmt = stmt.where(Incident.department_id.is_(None) if department_id is None
                      else Incident.department_id == department_id)
    if status == RESOLVED:
        stmt = stmt.where(Incident.resolved_at >= now - timedelta(hours=window_hours))
    return stmt


def _place(incident_id: int, department_id, status, before, now, window_hours) -> tuple[int, list]:
    """A position for the card in the cell, before the card ``before`` (or TOP/END), and the renumbering
    of the cell's other cards when there is no gap left (a list of (id, position))."""
    rows = db.session.execute(_cell_filter(select(Incident.id, Incident.position), department_id, status, now,
                                           window_hours).where(Incident.id != incident_id)
                              .order_by(Incident.position, Incident.received_at.desc(), Incident.id.desc())).all()
    ids = [r[0] for r in rows]
    if not rows:
        return 0, []
    if before == TOP or (before not in (END, None) and before == ids[0]):
        return rows[0][1] - STEP, []
    if before in (END, None) or before not in ids:
        return rows[-1][1] + STEP, []
    index = ids.index(before)
    low, high = rows[index - 1][1], rows[index][1]
    if high - low >= 2:
        return (low + high) // 2, []
    renumbered = [(ident, (i + 1) * STEP) for i, ident in enumerate(ids)]
    changes = [(ident, pos) for (ident, pos), (_i, old) in zip(renumbered, rows) if pos != old]
    return (index + 1) * STEP - STEP // 2, changes


def _retrying(fn):
    """Run a verb, retrying when SQLite refuses a write on a stale read snapshot (another writer won)."""
    def wrapper(*args, **kwargs):
        for attempt in range(4):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                db.session.rollback()
                if "locked" not in str(exc) or attempt == 3:
                    raise
        return None
    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


def _write(incident: Incident, expected_version: int, values: dict) -> None:
    """The atomic write: only when the version is still the one the user saw; else a conflict."""
    values = dict(values, version=Incident.version + 1, updated_at=datetime.now(UTC))
    result = db.session.execute(update(Incident).where(Incident.id == incident.id,
                                                       Incident.version == expected_version)
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise _conflict(_load(incident.id, _Everyone))


class _Everyone:
    role = "admin"
    id = None
    department_id = None


def _finish(incident_id: int, cells: set) -> Outcome:
    bump_board_version()
    db.session.commit()
    incident = db.session.execute(select(Incident).where(Incident.id == incident_id)
                                  .execution_options(populate_existing=True)).scalar_one()
    return Outcome(incident, cells)


def _check_version(incident: Incident, expected_version, user, same_target) -> bool:
    """False when all is well; True when this is a repeat of the user's own change just applied."""
    if expected_version is None or int(expected_version) == incident.version:
        return False
    event = last_event(incident.id)
    if (same_target and incident.version == int(expected_version) + 1 and event is not None
            and event.user_id == user.id):
        return True
    raise _conflict(incident)


@_retrying
def move_incident(incident_id: int, user, to_status: str | None = None, to_department=KEEP, before=None,
                  expected_version: int | None = None, text: str = "", cfg=None, tz=None,
                  now: datetime | None = None, window_hours: int = 24) -> Outcome:
    """The one verb behind drags, the «Переместить» menu, reroutes and returns: status, lane and place."""
    now = now or datetime.now(UTC)
    incident = _load(incident_id, user)
    if not any(can(user.role, a) for a in ("move", "progress", "route", "return")):
        raise Forbidden(_("У вас нет прав перемещать карточки."), incident)
    to_status = to_status or incident.status
    if to_department is KEEP:
        to_department = incident.department_id
    status_change = to_status != incident.status
    lane_change = to_department != incident.department_id
    if _check_version(incident, expected_version, user,
                      incident.status == to_status and incident.department_id == to_department):
        return Outcome(incident, {(incident.department_id, incident.status)}, noop=True)
    if incident.duplicate_of_id:
        raise ActionError(_("Сообщение — дубликат №%(id)d: работайте с оригиналом.", id=incident.duplicate_of_id),
                          incident)
    if to_status not in STATUS_NAMES:
        raise ActionError(_("Такого статуса нет."), incident)
    text = _text(text)
    if status_change:
        if not can_transition(incident.status, to_status):
            raise ActionError(_("Из «%(a)s» в «%(b)s» перевести нельзя.", a=STATUS_NAMES[incident.status],
                                b=STATUS_NAMES[to_status]), incident)
        if to_status not in allowed_targets(user, incident):
            raise Forbidden(_("Вы не можете перевести сообщение в «%(b)s».", b=STATUS_NAMES[to_status]), incident)
        if to_status in NEEDS_ANSWER and not text:
            raise ActionError(_("Напишите текст ответа."), incident, "text")
        if to_status in NEEDS_REASON and not text:
            raise ActionError(_("Укажите причину."), incident, "text")
    elif not lane_change and not (can(user.role, "move") and reaches(user, incident)):
        raise Forbidden(_("Вы не можете менять порядок карточек."), incident)
    if lane_change:
        if to_department is None:
            if not (may(user, incident, "return") or may(user, incident, "route")):
                raise Forbidden(_("Вы не можете вернуть сообщение оператору."), incident)
        elif not may(user, incident, "route"):
            raise Forbidden(_("Переводить сообщения в другое подразделение может только оператор."), incident)
        elif db.session.get(Department, to_department) is None:
            raise ActionError(_("Такого подразделения нет."), incident, "to_department")
        if incident.department_id is not None and not text:
            raise ActionError(_("Укажите причину: почему сообщение уходит из подразделения."), incident, "text")
    values = {"status": to_status, "department_id": to_department}
    position, renumber = _place(incident.id, to_department, to_status, before, now, window_hours)
    values["position"] = position
    if status_change:
        if to_status == INTERIM:
            values.update(answer_text=text, resolve_due=resolve_due_after_interim(now, cfg, tz))
        elif to_status == ANSWERED:
            values.update(answer_text=text, answered_at=now)
        elif to_status in NEEDS_REASON:
            values["reason"] = text
        if to_status == RESOLVED:
            values["resolved_at"] = now
        elif incident.status == RESOLVED:
            values["resolved_at"] = None
    before_status, before_department = incident.status, incident.department_id
    _write(incident, incident.version, values)
    for ident, pos in sorted(renumber):
        db.session.execute(update(Incident).where(Incident.id == ident).values(position=pos)
                           .execution_options(synchronize_session=False))
    if status_change:
        record(incident.id, "status", user.id, before_status, to_status,
               text if to_status in NEEDS_REASON else "")
        if to_status in NEEDS_ANSWER:
            record(incident.id, "interim" if to_status == INTERIM else "answer", user.id, "", text)
    if lane_change:
        kind = "returned_to_operator" if to_department is None else (
            "routed" if before_department is None else "department")
        record(incident.id, kind, user.id, _name(before_department), _name(to_department), text)
    if not status_change and not lane_change:
        record(incident.id, "reorder", user.id, "", str(position))
    return _finish(incident.id, {(before_department, before_status), (to_department, to_status)})


def answer(incident_id: int, user, text: str, final: bool, expected_version=None, cfg=None, tz=None) -> Outcome:
    """Give (or correct) the public answer: interim or final; a move into that column when needed."""
    to_status = ANSWERED if final else INTERIM
    if not _text(text):
        raise ActionError(_("Напишите текст ответа."), None, "text")
    incident = _load(incident_id, user)
    if incident.status != to_status:
        return move_incident(incident_id, user, to_status, before=TOP, expected_version=expected_version,
                             text=text, cfg=cfg, tz=tz)
    return _edit_answer(incident_id, user, text, expected_version)


@_retrying
def _edit_answer(incident_id, user, text, expected_version):
    incident = _load(incident_id, user)
    if not may(user, incident, "answer"):
        raise Forbidden(_("Вы не можете отвечать на это сообщение."), incident)
    if _check_version(incident, expected_version, user, incident.answer_text == _text(text)):
        return Outcome(incident, set(), noop=True)
    old = incident.answer_text
    _write(incident, incident.version, {"answer_text": _text(text)})
    record(incident.id, "answer", user.id, old, _text(text))
    return _finish(incident.id, {(incident.department_id, incident.status)})


def reroute(incident_id, user, to_department, reason, expected_version=None) -> Outcome:
    """An operator sends the card to another department's lane, with a reason."""
    return move_incident(incident_id, user, to_department=to_department, before=TOP,
                         expected_version=expected_version, text=reason)


def return_to_operator(incident_id, user, reason, expected_version=None) -> Outcome:
    """A head hands a misrouted card back to the operator («Не распределено»), with a reason."""
    return move_incident(incident_id, user, to_department=None, before=TOP, expected_version=expected_version,
                         text=reason)


def reorder(incident_id, user, before, expected_version=None) -> Outcome:
    """Change the card's place within its column."""
    return move_incident(incident_id, user, before=before, expected_version=expected_version)
