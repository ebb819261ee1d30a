"""The bulk endpoint: several selected cards, one action (take into work, assign, reroute, merge as duplicates of
one, answer with a template), all or nothing; the board gets the touched cells redrawn and a notice."""
from urllib.parse import parse_qsl, urlencode

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..extensions import db
from ..timefmt import city_tz
from ..web import is_htmx, whole_number
from . import batch
from .actions import _department, _once
from .cells import render_cells, viewer
from .store import ActionError, used_once
from .views import bp

MAX_FIELDS = 1000  # a form naming more cards than this is refused unread (BULK_MAX_CARDS is far below it)


def selected_cards(form) -> list[tuple[int, int]] | None:
    """The cards the user selected as (id, version seen), from repeated ``card`` fields ``id:version``, each
    once, in the order given; None when one is not of that form."""
    raw = form.getlist("card")
    if len(raw) > MAX_FIELDS:
        return None
    cards, seen = [], set()
    for value in raw:
        ident, _colon, version = value.partition(":")
        ident, version = whole_number(ident, low=1), whole_number(version)
        if ident is None or version is None:
            return None
        if ident not in seen:
            seen.add(ident)
            cards.append((ident, version))
    return cards


def _params(form) -> dict:
    params = {"kind": form.get("kind", ""), "text": form.get("text", "")}
    action = form.get("action", "")
    if action == "assign":
        raw = form.get("assignee", "").strip()
        params["assignee"] = whole_number(raw) if raw else None
        if raw and params["assignee"] is None:
            raise batch.BulkError(_("Такого сотрудника нет."), 400)
        if not raw:  # taking the worker off many cards at once is not offered
            raise batch.BulkError(_("Выберите исполнителя."), 400)
    if action == "route":
        try:
            params["department"] = _department(form.get("to_department"))
        except ActionError as exc:
            raise batch.BulkError(exc.notice, 400) from None
    if action == "merge":
        params["original"] = whole_number(form.get("original", "").strip().lstrip("№#").strip(), low=1)
    if action == "answer":
        params["template_id"] = whole_number(form.get("template", ""), low=1)
    return params


def _answer(notice: str, ok: bool, status: int, cells=(), changed=(), lanes=None):
    """The board's answer (notice and redrawn cells) to htmx; a redirect back to the board with the notice to a
    plain form."""
    if is_htmx():
        response = make_response(render_template(
            "incidents/_result.html", notice=notice, ok=ok, dialog=Markup(""),
            cells=render_cells(viewer(), list(cells), request.form.get("board", ""), changed, lanes)), status)
    else:
        flash(notice, "ok" if ok else "error")
        pairs = parse_qsl(request.form.get("board", "")[:1000].removeprefix("?"))  # re-encoded: no raw CR/LF
        response = redirect(url_for("board.show") + (f"?{urlencode(pairs)}" if pairs else ""), 303)
    if lanes:
        response.headers["X-MCU-Lanes"] = ",".join(f"{key}.{version}" for key, version in lanes.items())
    return response


@bp.post("/bulk")
@login_required
def bulk():
    """One action on every selected card, in one transaction; a card that is stale, out of reach or refused is
    named and nothing at all is changed."""
    if used_once(_once(), current_user) is not None:
        return _answer(_("Это уже сделано: повторная отправка той же формы ничего не повторяет."), True, 200)
    form = request.form
    cards = selected_cards(form)
    try:
        if cards is None:
            raise batch.BulkError(_("Выбор карточек не прочитан: обновите страницу и выберите снова."), 400)
        outcome = batch.apply(current_user, form.get("action", ""), cards, _params(form),
                              cfg=current_app.config, tz=city_tz(), once=_once())
    except batch.BulkError as exc:
        db.session.rollback()
        cells = [(i.department_id, i.status) for i in exc.incidents]
        return _answer(exc.notice, False, exc.status, cells)
    left = [(department, None) for department, _status in outcome.cells]  # a merged card leaves the board
    return _answer(_("Готово: изменено карточек — %(n)d.", n=len(outcome.changed)), True, 200,
                   outcome.cells, [*outcome.cells, *left], outcome.lanes)
