"""The incident verbs: move (status, lane, place), answer, assign, comment, merge as a duplicate, enter by hand.

Nothing here knows of ``request``: the caller passes the user, the values, the app's config and the city's
time zone. Every verb checks the user's role and reach on the object, changes the incident through the one
atomic write (``store.write``), records the history and commits once (``store.finish``).
"""
from datetime import timedelta
from uuid import uuid4

from flask_babel import gettext as _
from sqlalchemy import select, update

from .. import urgency
from ..access import allowed_targets, can_move, may
from ..deadlines import first_answer_due, first_answer_stamp, resolve_due_after_interim
from ..extensions import db
from ..history import record
from ..lanes import bump, in_cell
from ..models import (
    Comment,
    Department,
    Incident,
    Photo,
    Topic,
    User,
    utcnow,
)
from ..roles import FIELD, can
from ..search import search_columns
from ..workflow import (
    AFTER,
    ANSWERED,
    CANNOT,
    DONE,
    FIELD_STEPS,
    FIELD_WORK_STATUSES,
    IN_PROGRESS,
    INTERIM,
    NEEDS_ANSWER,
    NEEDS_REASON,
    NEW,
    REJECTED,
    RESOLVED,
    STATUS_NAMES,
    can_transition,
)
from .store import (
    ActionError,
    Forbidden,
    NotFound,
    Outcome,
    Repeat,
    clean_text,
    commit,
    department_name,
    finish,
    is_repeat,
    load,
    load_any,
    retrying,
    write,
)

KEEP = object()  # "leave the department as it is"
TOP, END = "top", "end"  # where a card lands when no neighbour is given
STEP = 1024  # gap between renumbered positions (see docs/board.md)


def place(incident_id: int, department_id, status, urgency: int, before, solved_since) -> tuple[int, list]:
    """A position for the card in its urgency group of the cell, before the card ``before`` (or TOP/END), and the
    renumbering of the group's other cards when there is no gap left (a list of (id, position)). A card dropped
    among cards of another urgency lands at the edge of its own group nearest to where it was dropped."""
    rows = db.session.execute(select(Incident.id, Incident.position, Incident.urgency)
                              .where(in_cell(department_id, status, solved_since), Incident.id != incident_id)
                              .order_by(Incident.urgency, Incident.position, Incident.received_at.desc(),
                                        Incident.id.desc())).all()
    other = {r[0]: r[2] for r in rows if r[2] != urgency}
    if before in other:  # a card of another group: above ours (lower urgency value) → our top, below → our end
        before = TOP if other[before] < urgency else END
    rows = [(r[0], r[1]) for r in rows if r[2] == urgency]
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


def _check_move(user, incident, to_status, to_department, text) -> None:
    """Refuse a move the workflow, the role or the missing text does not allow (nothing written yet)."""
    if to_status not in STATUS_NAMES:
        raise ActionError(_("Такого статуса нет."), incident)
    if to_status != incident.status:
        if not can_transition(incident.status, to_status):
            raise ActionError(_("Из «%(a)s» в «%(b)s» перевести нельзя.", a=STATUS_NAMES[incident.status],
                                b=STATUS_NAMES[to_status]), incident)
        if to_status not in allowed_targets(user, incident):
            raise Forbidden(_("Вы не можете перевести сообщение в «%(b)s».", b=STATUS_NAMES[to_status]), incident)
        if to_status in NEEDS_ANSWER and not text:
            raise ActionError(_("Напишите текст ответа."), incident, "text")
        if to_status in NEEDS_REASON and not text:
            raise ActionError(_("Укажите причину."), incident, "text")
    elif to_department == incident.department_id and not may(user, incident, "move"):
        raise Forbidden(_("Вы не можете менять порядок карточек."), incident)
    if to_department != incident.department_id:
        if to_department is None:
            if not (may(user, incident, "return") or may(user, incident, "route")):
                raise Forbidden(_("Вы не можете вернуть сообщение оператору."), incident)
        elif not may(user, incident, "route"):
            raise Forbidden(_("Переводить сообщения в другое подразделение может только оператор."), incident)
        elif db.session.get(Department, to_department) is None:
            raise ActionError(_("Такого подразделения нет."), incident, "to_department")
        if incident.department_id is not None and not text:
            raise ActionError(_("Укажите причину: почему сообщение уходит из подразделения."), incident, "text")


@retrying
def move_incident(incident_id: int, user, *, cfg, tz, to_status: str | None = None, to_department=KEEP,
                  before=None, expected_version: int | None = None, text: str = "", once: str | None = None) -> Outcome:
    """The one verb behind drags, the «Переместить» menu, reroutes and returns: status, lane and place."""
    now = utcnow()
    incident = load(incident_id, user)
    if not can_move(user.role):
        raise Forbidden(_("У вас нет прав перемещать карточки."), incident)
    to_status = to_status or incident.status
    if to_department is KEEP:
        to_department = incident.department_id
    status_change = to_status != incident.status
    lane_change = to_department != incident.department_id
    if is_repeat(incident, expected_version, user, not status_change and not lane_change):
        return Outcome(incident, {(incident.department_id, incident.status)}, noop=True)
    if incident.duplicate_of_id:
        raise ActionError(_("Сообщение — дубликат №%(id)d: работайте с оригиналом.", id=incident.duplicate_of_id),
                          incident)
    text = clean_text(text)
    _check_move(user, incident, to_status, to_department, text)
    solved_since = now - timedelta(hours=cfg["SOLVED_WINDOW_HOURS"])
    values = {"status": to_status, "department_id": to_department}
    resolve_due = incident.resolve_due
    if status_change:
        if to_status == INTERIM:
            resolve_due = resolve_due_after_interim(now, cfg, tz)
            values.update(answer_text=text, resolve_due=resolve_due)
        elif to_status == ANSWERED:
            values.update(answer_text=text, answered_at=now)
        elif to_status in NEEDS_REASON:
            values["reason"] = text
        if to_status in NEEDS_ANSWER and incident.first_answered_at is None:
            values.update(first_answer_stamp(cfg, tz)(incident.received_at, now))
        if to_status == RESOLVED:
            values["resolved_at"] = now
        elif incident.status == RESOLVED:
            values["resolved_at"] = None
    values.update(urgency.values(to_status, incident.urgent, incident.first_answer_due, resolve_due, now, cfg, tz))
    values["position"], renumber = place(incident.id, to_department, to_status, values["urgency"], before,
                                         solved_since)
    assignee = incident.assignee if lane_change else None
    if assignee is not None:  # the worker belongs to the lane the card leaves
        values["assignee_id"] = None
    if lane_change:
        values["field_step"] = ""  # field work starts afresh in the new lane
    before_status, before_department = incident.status, incident.department_id
    write(incident, values)
    for ident, pos in sorted(renumber):
        db.session.execute(update(Incident).where(Incident.id == ident).values(position=pos)
                           .execution_options(synchronize_session=False))
    if status_change:
        record(incident.id, "status", user.id, before_status, to_status, text if to_status in NEEDS_REASON else "")
        if to_status in NEEDS_ANSWER:
            record(incident.id, "interim" if to_status == INTERIM else "answer", user.id, "", text)
    if lane_change:
        kind = "unrouted" if to_department is None else ("routed" if before_department is None else "department")
        record(incident.id, kind, user.id, department_name(before_department), department_name(to_department), text)
    if assignee is not None:
        record(incident.id, "assignee", user.id, assignee.name, "", _("сообщение ушло из подразделения"))
    if not status_change and not lane_change:
        record(incident.id, "reorder", user.id, "", str(values["position"]))
    return finish(incident.id, {(before_department, before_status), (to_department, to_status)}, user, once)


def answer(incident_id: int, user, text: str, final: bool, *, cfg, tz, expected_version=None,
           once: str | None = None) -> Outcome:
    """Give (or correct) the public answer: interim or final; a move into that column when needed."""
    to_status = ANSWERED if final else INTERIM
    if not clean_text(text):
        raise ActionError(_("Напишите текст ответа."), None, "text")
    incident = load(incident_id, user)
    if incident.status != to_status:
        return move_incident(incident_id, user, cfg=cfg, tz=tz, to_status=to_status, before=TOP,
                             expected_version=expected_version, text=text, once=once)
    return _edit_answer(incident_id, user, clean_text(text), expected_version, once)


@retrying
def _edit_answer(incident_id, user, text, expected_version, once):
    incident = load(incident_id, user)
    if not may(user, incident, "answer"):
        raise Forbidden(_("Вы не можете отвечать на это сообщение."), incident)
    if is_repeat(incident, expected_version, user, incident.answer_text == text):
        return Outcome(incident, set(), noop=True)
    old = incident.answer_text
    write(incident, {"answer_text": text})
    record(incident.id, "answer", user.id, old, text)
    return finish(incident.id, {(incident.department_id, incident.status)}, user, once)


@retrying
def assign(incident_id: int, user, assignee_id: int | None, expected_version=None, once: str | None = None) -> Outcome:
    """A head gives the incident to one of the department's field staff (or takes it back)."""
    incident = load(incident_id, user)
    if not may(user, incident, "assign"):
        raise Forbidden(_("Вы не можете назначать исполнителя."), incident)
    if is_repeat(incident, expected_version, user, incident.assignee_id == assignee_id):
        return Outcome(incident, set(), noop=True)
    new = None
    if assignee_id is not None:
        new = db.session.get(User, assignee_id)
        if new is None or new.role != FIELD or not new.active or new.department_id != incident.department_id:
            raise ActionError(_("Исполнителем можно назначить только сотрудника этого подразделения."),
                              incident, "assignee")
    old = incident.assignee
    write(incident, {"assignee_id": assignee_id, "field_step": ""})  # (re)assigned: field work starts afresh
    record(incident.id, "assignee", user.id, old.name if old else "", new.name if new else "")
    return finish(incident.id, {(incident.department_id, incident.status)}, user, once)


@retrying
def comment(incident_id: int, user, text: str, once: str | None = None) -> Comment:
    """A note on the incident by someone who may work on it; no version step (a comment never conflicts)."""
    incident = load(incident_id, user)
    if not may(user, incident, "comment"):
        raise Forbidden(_("Вы не можете комментировать это сообщение."), incident)
    text = clean_text(text)
    if not text:
        raise ActionError(_("Комментарий пустой."), incident, "text")
    note = Comment(incident_id=incident.id, user_id=user.id, text=text)
    db.session.add(note)
    record(incident.id, "comment", user.id, "", text[:200])
    commit(user, once, incident.id)  # a card does not show its comments: no lane changes
    return note


@retrying
def mark_duplicate(incident_id: int, user, original_id: int, expected_version=None, once: str | None = None) -> Outcome:
    """The card leaves the board (status «Отклонено», duplicate_of set); its history shows on the original."""
    incident = load(incident_id, user)
    if not may(user, incident, "merge"):
        raise Forbidden(_("Отмечать дубликаты может только оператор."), incident)
    try:
        original = load(original_id, user)
    except NotFound:
        raise ActionError(_("Сообщения №%(id)s нет.", id=original_id), incident, "original") from None
    while original.duplicate_of_id:  # point at the root, never at another duplicate
        original = load_any(original.duplicate_of_id)
    if original.id == incident.id:
        raise ActionError(_("Сообщение не может быть дубликатом самого себя."), incident, "original")
    if is_repeat(incident, expected_version, user, incident.duplicate_of_id == original.id):
        return Outcome(incident, set(), noop=True)
    if incident.duplicate_of_id:
        raise ActionError(_("Сообщение уже отмечено как дубликат №%(id)d.", id=incident.duplicate_of_id), incident)
    before = (incident.department_id, incident.status)
    reason = _("Дубликат сообщения №%(id)d", id=original.id)
    write(incident, {"duplicate_of_id": original.id, "status": REJECTED, "reason": reason,
                     "urgency": urgency.CALM, "urgency_next_at": None})
    # re-point earlier duplicates of this card at the root
    db.session.execute(update(Incident).where(Incident.duplicate_of_id == incident.id)
                       .values(duplicate_of_id=original.id).execution_options(synchronize_session=False))
    record(incident.id, "duplicate", user.id, "", f"№{original.id}", reason)
    record(incident.id, "status", user.id, before[1], REJECTED, reason)
    record(original.id, "duplicate", user.id, f"№{incident.id}", "", "")
    return finish(incident.id, {before}, user, once)


DONE_NEEDS = {  # FIELD_DONE_REQUIRES -> (needs an «после» photo, needs a comment, either is enough)
    "photo_or_comment": (True, True, True), "photo": (True, False, False), "comment": (False, True, False),
    "photo_and_comment": (True, True, False),
}


def _check_report(user, incident, step, text, photos, requires) -> None:
    """Refuse a field send the role, the workflow or the missing proof does not allow (nothing written yet)."""
    if step and not may(user, incident, "progress"):
        raise Forbidden(_("Отмечать ход работы может только исполнитель сообщения."), incident)
    if (text and not may(user, incident, "comment")) or (photos and not may(user, incident, "photo")):
        raise Forbidden(_("Вы не можете добавлять комментарии и фото к этому сообщению."), incident)
    if step and step not in FIELD_STEPS:
        raise ActionError(_("Такого шага нет."), incident)
    if not (step or text or photos):
        raise ActionError(_("Нечего отправлять: отметьте шаг, напишите комментарий или добавьте фото."), incident, "text")
    if step and incident.status not in FIELD_WORK_STATUSES:
        raise ActionError(_("Работа по сообщению уже закончена («%(s)s»): шаг не отмечен.",
                            s=STATUS_NAMES[incident.status]), incident)
    if step == CANNOT and not text:
        raise ActionError(_("Напишите причину: почему выполнить не получается."), incident, "text")
    if step == DONE:
        photo_needed, comment_needed, either = DONE_NEEDS[requires]
        has_photo = any(tag == AFTER for tag, _columns in photos) or db.session.scalar(
            select(Photo.id).where(Photo.incident_id == incident.id, Photo.tag == AFTER).limit(1)) is not None
        if either and not (has_photo or text):
            raise ActionError(_("Для «Выполнено» добавьте фото «после» или напишите, что сделано."), incident, "text")
        if not either and ((photo_needed and not has_photo) or (comment_needed and not text)):
            raise ActionError(_("Для «Выполнено» нужны %(what)s.", what=(
                _("фото «после» и комментарий") if photo_needed and comment_needed else
                _("фото «после»") if photo_needed else _("комментарий: что сделано"))), incident, "text")


@retrying
def report_progress(incident_id: int, user, *, step: str = "", text: str = "", photos=(),
                    requires: str = "photo_or_comment", expected_version=None, once: str | None = None) -> Outcome:
    """A field worker's send from «Мои задачи»: a progress step, a comment and photos as proof (``photos``: (tag,
    Photo columns) of files already stored), one history line each, in one transaction. A step on a new card takes
    it «В работе»; «Не могу выполнить» hands it back to the head. A step steps the card's version (the card shows
    it); a comment or a photo alone does not (it never conflicts)."""
    incident = load(incident_id, user)
    text = clean_text(text)
    _check_report(user, incident, step, text, photos, requires)
    if step and is_repeat(incident, expected_version, user, incident.field_step == step):
        return Outcome(incident, set(), noop=True)
    cells = set()
    if step:
        before_status, before_step, assignee = incident.status, incident.field_step, incident.assignee
        values = {"field_step": step}
        if step == CANNOT:
            values["assignee_id"] = None
        elif incident.status == NEW:  # the worker is on it
            # the deadline stays the first answer's: the card keeps its urgency and goes to the top of its group
            values.update(status=IN_PROGRESS, position=place(incident.id, incident.department_id, IN_PROGRESS,
                                                             incident.urgency, TOP, utcnow())[0])
        write(incident, values)
        record(incident.id, "field_step", user.id, before_step, step, text if step == CANNOT else "")
        if "status" in values:
            record(incident.id, "status", user.id, before_status, IN_PROGRESS)
        if step == CANNOT and assignee is not None:
            record(incident.id, "assignee", user.id, assignee.name, "", _("не может выполнить"))
        cells = {(incident.department_id, before_status), (incident.department_id, values.get("status", before_status))}
    if text and step != CANNOT:
        db.session.add(Comment(incident_id=incident.id, user_id=user.id, text=text))
        record(incident.id, "comment", user.id, "", text[:200])
    for tag, columns in photos:
        db.session.add(Photo(incident_id=incident.id, user_id=user.id, tag=tag, **columns))
        record(incident.id, "photo", user.id, "", tag)
    if cells:
        return finish(incident.id, cells, user, once)
    commit(user, once, incident.id)
    return Outcome(incident, set())


@retrying
def photo_in_answer(photo_id: int, user, attach: bool, once: str | None = None) -> Photo:
    """A head puts a field worker's photo into the public answer, or takes it out (no version step)."""
    photo = db.session.get(Photo, photo_id, populate_existing=True)
    if photo is None:
        raise NotFound(_("Такого фото нет или оно вам недоступно."))
    incident = load(photo.incident_id, user)
    if not may(user, incident, "answer"):
        raise Forbidden(_("Прикладывать фото к ответу может тот, кто отвечает на сообщение."), incident)
    if photo.in_answer != attach:
        photo.in_answer = attach
        record(incident.id, "photo_answer", user.id, "" if attach else str(photo.id), str(photo.id) if attach else "")
    commit(user, once, incident.id)
    return photo


def enter_manually(user, values: dict, *, cfg, tz, once: str | None = None) -> Incident:
    """An incident from a channel outside Инцидент-менеджмент, typed in by an operator."""
    if not can(user.role, "enter"):
        raise Forbidden(_("Вводить сообщения вручную может только оператор."))
    now = utcnow()
    received = values.get("received_at") or now
    department_id = values.get("department_id")
    if department_id is None and values.get("topic_id"):
        topic = db.session.get(Topic, values["topic_id"])
        department_id = topic.department_id if topic else None
    text = values["text"].strip()
    urgent = bool(values.get("urgent"))
    due = first_answer_due(received, urgent, cfg, tz)
    incident = Incident(
        source="manual", external_id=f"M-{now:%Y%m%d}-{uuid4().hex[:8]}", channel_id=values["channel_id"],
        platform=values.get("platform", "")[:60], author=values.get("author", "")[:300], text=text,
        url=values.get("url", "")[:2000], address=values.get("address", "")[:500],
        **search_columns(text, values.get("author"), values.get("address")),
        topic_id=values.get("topic_id"), department_id=department_id, status=NEW, received_at=received,
        urgent=urgent, first_answer_due=due, raw={"entered_by": user.id}, version=1, position=0,
        **urgency.values(NEW, urgent, due, None, now, cfg, tz))
    db.session.add(incident)
    db.session.flush()
    record(incident.id, "created", user.id, "", NEW, _("Ручной ввод"))
    if department_id is not None:
        record(incident.id, "routed", user.id, "", department_name(department_id),
               _("выбрано оператором") if values.get("department_id") else _("по тематике"))
    bump([department_id])
    commit(user, once, incident.id)
    return incident


__all__ = ["END", "KEEP", "TOP", "ActionError", "Forbidden", "NotFound", "Outcome", "Repeat", "answer", "assign",
           "comment", "enter_manually", "mark_duplicate", "move_incident", "photo_in_answer", "report_progress"]
