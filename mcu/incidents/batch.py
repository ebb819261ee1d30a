"""Bulk actions: one verb of ``mcu.incidents.verbs`` on each selected card, all in one transaction.

Each card is changed by the same verb a single tap would call, with the version the user saw, and writes its own
history. Any card that is stale, out of reach or refused rolls everything back and is named in the answer: a
bulk action is carried out on all the cards or on none. Nothing here knows of ``request``.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..access import scope
from ..extensions import WRITE_ATTEMPTS, db, stale_snapshot
from ..models import Incident
from ..roles import can
from ..shortcuts.service import ShortcutError, fill, load_template
from ..workflow import IN_PROGRESS
from . import verbs
from .store import ActionError, batch

# action -> (the role's right it needs, its name in messages)
ACTIONS = {
    "take": "move", "assign": "assign", "route": "route", "merge": "merge", "answer": "answer",
}


class BulkError(ActionError):
    """A refused bulk action: nothing was changed; ``cards`` names the cards that stopped it."""

    def __init__(self, notice: str, status: int, cards=(), incidents=()):
        super().__init__(notice)
        self.status = status
        self.cards = list(cards)
        self.incidents = list(incidents)  # the named cards as they are now (their cells are redrawn)


@dataclass
class BulkOutcome:
    """A carried-out bulk action: the cards changed and the cells (lane, status) they left and entered."""

    changed: list = field(default_factory=list)
    cells: set = field(default_factory=set)
    lanes: dict = field(default_factory=dict)


def numbers(ids) -> str:
    return ", ".join(f"№{i}" for i in ids)


def _check(user, action: str, cards: list[tuple[int, int]], limit: int) -> dict:
    """Refuse before writing anything: an unknown action, a role without the right, too many or no cards, cards out
    of reach, cards changed since the user saw them (all of them named). The cards as stored, by id."""
    if not cards:
        raise BulkError(_("Выберите карточки."), 400)
    if len(cards) > limit:
        raise BulkError(_("За один раз можно изменить не больше %(n)d карточек.", n=limit), 400)
    ids = [ident for ident, _version in cards]
    found = {i.id: i for i in db.session.scalars(scope(select(Incident).where(Incident.id.in_(ids)), user)
                                                  .execution_options(populate_existing=True))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise BulkError(_("Сообщений %(ids)s нет или они вам недоступны: ничего не изменено.", ids=numbers(missing)),
                        404, missing)
    stale = [ident for ident, version in cards if found[ident].version != version]
    if stale:
        raise BulkError(_("Карточки %(ids)s уже изменились, пока вы выбирали: ничего не изменено. Доска показывает "
                          "их текущее состояние.", ids=numbers(stale)), 409, stale, [found[i] for i in stale])
    return found


def _one(user, action, incident, version, params, cfg, tz):
    """The single-card verb this bulk action calls for one card."""
    if action == "take":
        if incident.status == IN_PROGRESS:
            raise ActionError(_("сообщение уже в работе."), incident)
        return verbs.move_incident(incident.id, user, cfg=cfg, tz=tz, to_status=IN_PROGRESS, before=verbs.TOP,
                                   expected_version=version)
    if action == "assign":
        return verbs.assign(incident.id, user, params.get("assignee"), version)
    if action == "route":
        return verbs.move_incident(incident.id, user, cfg=cfg, tz=tz, to_department=params.get("department"),
                                   before=verbs.TOP, expected_version=version, text=params.get("text", ""))
    if action == "merge":
        return verbs.mark_duplicate(incident.id, user, params["original"], version)
    template = params["template"]
    if template.department_id not in (None, incident.department_id):
        raise ActionError(_("шаблон «%(t)s» не из подразделения этого сообщения.", t=template.title), incident)
    try:
        text = fill(template.body, incident, tz)
    except ShortcutError as exc:
        raise ActionError(exc.notice, incident) from None
    return verbs.answer(incident.id, user, text, params.get("kind") == "final", cfg=cfg, tz=tz,
                        expected_version=version)


def _params(user, action, params: dict) -> dict:
    """The action's own values, checked once for all cards."""
    if action == "merge" and not params.get("original"):
        raise BulkError(_("Укажите номер оригинального сообщения цифрами."), 400)
    if action == "route" and params.get("department", verbs.KEEP) is verbs.KEEP:
        raise BulkError(_("Выберите подразделение."), 400)
    if action == "answer":
        if params.get("template_id") is None:
            raise BulkError(_("Выберите шаблон ответа."), 400)
        try:
            params = {**params, "template": load_template(params["template_id"], user, for_use=True)}
        except ShortcutError as exc:
            raise BulkError(exc.notice, 400) from None
    return params


def apply(user, action: str, cards: list[tuple[int, int]], params: dict, *, cfg, tz, once: str | None = None
          ) -> BulkOutcome:
    """Carry out one action on every card (with the version the user saw), all or nothing."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return _apply(user, action, cards, params, cfg, tz, once)
        except OperationalError as exc:  # SQLite: another writer won the file; the whole batch runs again
            db.session.rollback()
            if not stale_snapshot(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise
    return BulkOutcome()


def _apply(user, action, cards, params, cfg, tz, once) -> BulkOutcome:
    if action not in ACTIONS:
        raise BulkError(_("Такого действия нет."), 400)
    if not can(user.role, ACTIONS[action]):
        raise BulkError(_("Это действие вам недоступно."), 403)
    params = _params(user, action, params)
    found = _check(user, action, cards, cfg["BULK_MAX_CARDS"])
    original = params.get("original")
    done = BulkOutcome()
    with batch(user, once) as lanes:
        for ident, version in cards:
            if action == "merge" and ident == original:
                continue  # the original itself stays
            try:
                outcome = _one(user, action, found[ident], version, params, cfg, tz)
            except ActionError as exc:
                db.session.rollback()
                now = db.session.get(Incident, ident)
                raise BulkError(_("%(card)s: %(why)s Ничего не изменено.", card=numbers([ident]), why=exc.notice),
                                exc.status if exc.status in (400, 403, 409) else 400, [ident],
                                [now] if now is not None else []) from None
            done.changed.append(ident)
            done.cells |= outcome.cells
    done.lanes = lanes
    return done
