"""Domain verbs beyond moves: assign field staff, comment, mark a duplicate, enter a message by hand.

Like ``mcu.moves`` (whose rules and atomic write they share) they know nothing of ``request``.
"""
from datetime import UTC, datetime
from uuid import uuid4

from flask_babel import gettext as _
from sqlalchemy import update

from .deadlines import first_answer_due
from .extensions import db
from .history import record
from .models import Comment, Incident, Topic, User, bump_board_version
from .moves import (
    ActionError,
    Forbidden,
    NotFound,
    Outcome,
    _check_version,
    _Everyone,
    _finish,
    _load,
    _name,
    _retrying,
    _text,
    _write,
    may,
)
from .roles import FIELD, can
from .text import search_key
from .workflow import NEW, REJECTED


@_retrying
def assign(incident_id: int, user, assignee_id: int | None, expected_version=None) -> Outcome:
    """A head gives the incident to one of the department's field staff (or takes it back)."""
    incident = _load(incident_id, user)
    if not may(user, incident, "assign"):
        raise Forbidden(_("Вы не можете назначать исполнителя."), incident)
    if _check_version(incident, expected_version, user, incident.assignee_id == assignee_id):
        return Outcome(incident, set(), noop=True)
    new = None
    if assignee_id is not None:
        new = db.session.get(User, assignee_id)
        if new is None or new.role != FIELD or not new.active or new.department_id != incident.department_id:
            raise ActionError(_("Исполнителем можно назначить только сотрудника этого подразделения."),
                              incident, "assignee")
    old = incident.assignee
    _write(incident, incident.version, {"assignee_id": assignee_id})
    record(incident.id, "assignee", user.id, old.name if old else "", new.name if new else "")
    return _finish(incident.id, {(incident.department_id, incident.status)})


@_retrying
def comment(incident_id: int, user, text: str) -> Comment:
    """A note on the incident by someone who may work on it; no version bump (a comment never conflicts)."""
    incident = _load(incident_id, user)
    if not may(user, incident, "comment"):
        raise Forbidden(_("Вы не можете комментировать это сообщение."), incident)
    text = _text(text)
    if not text:
        raise ActionError(_("Комментарий пустой."), incident, "text")
    note = Comment(incident_id=incident.id, user_id=user.id, text=text)
    db.session.add(note)
    record(incident.id, "comment", user.id, "", text[:200])
    bump_board_version()
    db.session.commit()
    return note


@_retrying
def mark_duplicate(incident_id: int, user, original_id: int, expected_version=None) -> Outcome:
    """The card leaves the board (status «Отклонено», duplicate_of set); its history shows on the original."""
    incident = _load(incident_id, user)
    if not may(user, incident, "merge"):
        raise Forbidden(_("Отмечать дубликаты может только оператор."), incident)
    try:
        original = _load(int(original_id), user)
    except (NotFound, TypeError, ValueError):
        raise ActionError(_("Сообщения №%(id)s нет.", id=original_id), incident, "original") from None
    while original.duplicate_of_id:  # point at the root, never at another duplicate
        original = _load(original.duplicate_of_id, _Everyone)
    if original.id == incident.id:
        raise ActionError(_("Сообщение не может быть дубликатом самого себя."), incident, "original")
    if _check_version(incident, expected_version, user, incident.duplicate_of_id == original.id):
        return Outcome(incident, set(), noop=True)
    if incident.duplicate_of_id:
        raise ActionError(_("Сообщение уже отмечено как дубликат №%(id)d.", id=incident.duplicate_of_id), incident)
    before = (incident.department_id, incident.status)
    reason = _("Дубликат сообщения №%(id)d", id=original.id)
    _write(incident, incident.version, {"duplicate_of_id": original.id, "status": REJECTED, "reason": reason})
    # re-point earlier duplicates of this card at the root
    db.session.execute(update(Incident).where(Incident.duplicate_of_id == incident.id)
                       .values(duplicate_of_id=original.id).execution_options(synchronize_session=False))
    record(incident.id, "duplicate", user.id, "", f"№{original.id}", reason)
    record(incident.id, "status", user.id, before[1], REJECTED, reason)
    record(original.id, "duplicate", user.id, f"№{incident.id}", "", "")
    return _finish(incident.id, {before})


def enter_manually(user, values: dict, cfg, tz) -> Incident:
    """An incident from a channel outside Инцидент-менеджмент, typed in by an operator."""
    if not can(user.role, "enter"):
        raise Forbidden(_("Вводить сообщения вручную может только оператор."))
    now = datetime.now(UTC)
    received = values.get("received_at") or now
    department_id = values.get("department_id")
    if department_id is None and values.get("topic_id"):
        topic = db.session.get(Topic, values["topic_id"])
        department_id = topic.department_id if topic else None
    text = values["text"].strip()
    incident = Incident(
        source="manual", external_id=f"M-{now:%Y%m%d}-{uuid4().hex[:8]}", channel_id=values["channel_id"],
        platform=values.get("platform", "")[:60], author=values.get("author", "")[:300], text=text,
        url=values.get("url", "")[:2000], address=values.get("address", "")[:500],
        search_text=search_key(text, values.get("author"), values.get("address")),
        topic_id=values.get("topic_id"), department_id=department_id, status=NEW, received_at=received,
        urgent=bool(values.get("urgent")), first_answer_due=first_answer_due(received, bool(values.get("urgent")),
                                                                             cfg, tz),
        raw={"entered_by": user.id}, version=1, position=0)
    db.session.add(incident)
    db.session.flush()
    record(incident.id, "created", user.id, "", NEW, _("Ручной ввод"))
    if department_id is not None:
        record(incident.id, "routed", user.id, "", _name(department_id),
               _("выбрано оператором") if values.get("department_id") else _("по тематике"))
    bump_board_version()
    db.session.commit()
    return incident
