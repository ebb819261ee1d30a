"""State-changing endpoints on one incident: move (drag, menu, reroute, return), answer, assign, comment,
duplicate. Each one parses the form, calls one verb of ``mcu.incidents.verbs`` and re-renders fresh state:
board cells as htmx partials for htmx requests, a redirect (or the detail page with the error) otherwise.
"""
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..extensions import db
from ..history import EVENT_NAMES
from ..lanes import UNROUTED_KEY
from ..models import Incident
from ..timefmt import city_tz
from ..web import is_htmx, whole_number
from ..workflow import BOARD_COLUMNS, NEEDS_ANSWER, STATUS_NAMES
from . import verbs
from .cells import render_cells, viewer
from .menu import SECTIONS, menu_context
from .store import used_once
from .views import bp, render_detail, visible_incident


def _int(value):
    return whole_number(value)


def _department(value):
    """Form value of a lane: "" keeps the department, UNROUTED_KEY is «Не распределено», digits a department."""
    value = (value or "").strip()
    if value == "":
        return verbs.KEEP
    if value == UNROUTED_KEY:
        return None
    number = _int(value)
    if number is None:
        raise verbs.ActionError(_("Такого подразделения нет."), None, "to_department")
    return number


def _before(value):
    value = (value or "").strip()
    if value in (verbs.TOP, verbs.END):
        return value
    return _int(value) or verbs.TOP


def _claimed_cells(form) -> list:
    """The cells the user's board showed the card leaving and entering (redrawn so a refused drop springs back)."""
    cells = []
    for status_key, dep_key in (("from_status", "from_department"), ("to_status", "to_department")):
        status = form.get(status_key, "")
        dep = form.get(dep_key, "") or form.get("from_department", "")
        if status in BOARD_COLUMNS and (dep in ("", UNROUTED_KEY) or whole_number(dep) is not None):
            cells.append((None if dep in ("", UNROUTED_KEY) else whole_number(dep), status))
    return cells


def _next_url(default: str) -> str:
    """Where a plain form post returns: a local path given by the form, else the default."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.scheme and not parts.netloc:
        return target
    return default


def _done(notice: str, outcome, incident_id: int, cells=None, changed=()):
    """Fresh state after a change: cells (and the lane headings the change moved) and a notice for htmx, a
    redirect back for a plain form; ``X-MCU-Lanes`` names the lanes' versions after it (``key.version,…``)."""
    cells = outcome.cells if cells is None else cells
    if is_htmx():
        response = make_response(render_template(
            "incidents/_result.html", notice=notice, ok=True,
            cells=render_cells(viewer(), cells, request.form.get("board", ""), changed,
                               outcome.lanes if outcome is not None else None), dialog=Markup("")))
    else:
        flash(notice, "ok")
        response = redirect(_next_url(url_for("incidents.detail", incident_id=incident_id)))
    if outcome is not None and outcome.lanes:
        response.headers["X-MCU-Lanes"] = ",".join(f"{key}.{version}" for key, version in outcome.lanes.items())
    return response


def _once() -> str | None:
    """The form's one-time token (hidden field ``form_token``): the same form sent twice is carried out once."""
    return (request.form.get("form_token") or "").strip()[:64] or None


def _refused(exc: verbs.ActionError, incident_id: int, cells=(), dialog: str = ""):
    """A refused change as a Russian notice (and the card as it is now); nothing was written. A repeat of a form
    already carried out (its token used: a double click, a resend after a lost answer) is no refusal: the person
    sees the result of the first, never a conflict with themselves."""
    db.session.rollback()
    if isinstance(exc, verbs.Repeat) or (exc.status == 409 and used_once(_once(), current_user)):
        return _repeated(incident_id, cells)
    if exc.status == 404:
        abort(404)
    status = exc.status
    if is_htmx():
        if exc.incident is not None:
            cells = list(cells) + [(exc.incident.department_id, exc.incident.status)]
        typed = status == 409 and request.form.get("text", "").strip() and exc.incident is not None
        if not dialog and (request.form.get("menu") in SECTIONS and status in (400, 409) or typed):
            dialog = _menu_again(exc, incident_id)
        return render_template("incidents/_result.html", notice="" if dialog else exc.notice, ok=False,
                               cells=render_cells(viewer(), cells, request.form.get("board", "")),
                               dialog=dialog), status
    incident = visible_incident(incident_id)
    return render_detail(incident, error=exc.notice, typed=request.form, failed=request.endpoint), status


def _menu_again(exc: verbs.ActionError, incident_id: int) -> Markup:
    """The card's menu again after a refused menu form: the error inside it, what was typed kept, and on a
    conflict the card as it is now (its version, so sending again applies to what is shown)."""
    incident = exc.incident or visible_incident(incident_id)
    values = {**request.form.to_dict(), "version": str(incident.version), "form_token": ""}
    return Markup(render_template("incidents/_move_dialog.html", changed=_what_changed(exc), **menu_context(
        incident, values, exc.notice, request.form.get("menu") or "move")))


def _what_changed(exc: verbs.ActionError) -> tuple | None:
    """The newest history line of a card someone else changed, in words: (what, from, to)."""
    event = getattr(exc, "last_event", None)
    if event is None:
        return None
    words = (lambda v: str(STATUS_NAMES.get(v, v))) if event.kind == "status" else str
    return str(EVENT_NAMES.get(event.kind, event.kind)), words(event.from_value or "—"), words(event.to_value or "—")


def once_per_form(view):
    """A form already carried out (its one-time token is used by this person) gets the result of the first
    submission at once: a double click never runs a verb twice nor reports a conflict with oneself."""
    @wraps(view)
    def wrapper(incident_id: int):
        if used_once(_once(), current_user) is not None:
            return _repeated(incident_id, _claimed_cells(request.form))
        return view(incident_id)
    return wrapper


def _repeated(incident_id: int, cells=()):
    """The answer to a repeated form: the result of the first submission, the card as it is now."""
    notice = verbs.Repeat(incident_id).notice
    if is_htmx():
        incident = db.session.get(Incident, incident_id)
        if incident is not None:
            cells = [*cells, (incident.department_id, incident.status)]
        return render_template("incidents/_result.html", notice=notice, ok=True,
                               cells=render_cells(viewer(), cells, request.form.get("board", "")),
                               dialog=Markup(""))
    flash(notice, "info")
    return redirect(_next_url(url_for("incidents.detail", incident_id=incident_id)))


def _version() -> int:
    """The card version the user saw; every change but a comment must say it (no blind overwrite)."""
    version = _int(request.form.get("version"))
    if version is None:
        raise verbs.ActionError(_("Не указана версия карточки: обновите страницу и повторите."))
    return version


@bp.get("/<int:incident_id>/move")
@login_required
def move_menu(incident_id: int):
    """The «Переместить» menu: the statuses (and lanes) this user may move the card to, loaded on demand."""
    incident = visible_incident(incident_id)
    context = menu_context(incident, request.args, section=request.args.get("section", ""))
    if is_htmx():
        return render_template("incidents/_move_dialog.html", **context)
    return render_template("incidents/move.html", **context)


@bp.post("/<int:incident_id>/move")
@login_required
@once_per_form
def move(incident_id: int):
    """The one move endpoint: a drag, the menu, a reroute or a return all land here, in ``move_incident``
    (which loads the card within the user's reach: 404 otherwise)."""
    form = request.form
    claimed = _claimed_cells(form)
    try:
        to_department = _department(form.get("to_department"))
        if form.get("menu") and _stays(incident_id, form.get("to_status"), to_department):
            raise verbs.ActionError(_("Выберите, куда переместить сообщение: оно осталось на месте."),
                                    None, "to_status")
        outcome = verbs.move_incident(
            incident_id, current_user, cfg=current_app.config, tz=city_tz(), to_status=form.get("to_status") or None,
            to_department=to_department, before=_before(form.get("before")), expected_version=_version(),
            text=form.get("text", ""), once=_once())
    except verbs.ActionError as exc:
        if exc.field_name == "text" and is_htmx() and exc.incident is not None and not request.form.get("menu"):
            # a drop on a column that asks for an answer or a reason: ask for it in place, on that column, with
            # nothing red yet (nothing was typed); the card stays where it was dropped until sent or cancelled
            db.session.rollback()
            asked = form.get("to_status", "")
            prompt = exc.notice if asked not in NEEDS_ANSWER else _(
                "Напишите ответ жителю и отправьте: тогда сообщение перейдёт в «%(s)s».", s=STATUS_NAMES[asked])
            dialog = render_template("incidents/_move_dialog.html", prompt=prompt, **menu_context(
                exc.incident, {**form.to_dict(), "form_token": ""}, "", "move"))
            return render_template("incidents/_result.html", notice="", ok=False, cells="",
                                   dialog=Markup(dialog)), 422
        return _refused(exc, incident_id, claimed)
    incident = outcome.incident
    if outcome.noop:
        notice = _("Это изменение уже сделано.")
    elif (incident.status, incident.department_id) in {(s, d) for d, s in claimed[:1]}:
        notice = _("Сообщение №%(id)d переставлено в «%(status)s».", id=incident.id,
                   status=STATUS_NAMES[incident.status])
    else:
        notice = _("Сообщение №%(id)d: «%(status)s», %(lane)s.", id=incident.id, status=STATUS_NAMES[incident.status],
                    lane=incident.department.short_name if incident.department else _("не распределено"))
    return _done(notice, outcome, incident_id, cells=list(outcome.cells) + claimed, changed=outcome.cells)


def _stays(incident_id: int, to_status, to_department) -> bool:
    """True when a menu's move names the card's own column and lane: nothing would move (never reported as a move)."""
    incident = db.session.get(Incident, incident_id)
    return (incident is not None and (not to_status or to_status == incident.status)
            and (to_department is verbs.KEEP or to_department == incident.department_id))


@bp.post("/<int:incident_id>/answer")
@login_required
@once_per_form
def answer(incident_id: int):
    """Give or correct the public answer (interim or final)."""
    visible_incident(incident_id)
    try:
        outcome = verbs.answer(incident_id, current_user, request.form.get("text", ""),
                               request.form.get("kind") == "final", cfg=current_app.config, tz=city_tz(),
                               expected_version=_version(), once=_once())
    except verbs.ActionError as exc:
        return _refused(exc, incident_id)
    return _done(_("Ответ сохранён."), outcome, incident_id, changed=outcome.cells)


@bp.post("/<int:incident_id>/assign")
@login_required
@once_per_form
def assign(incident_id: int):
    """A head assigns one of the department's field staff (empty value: nobody)."""
    visible_incident(incident_id)
    raw = request.form.get("assignee", "")
    try:
        assignee = _int(raw)
        if request.form.get("menu") and "assignee" not in request.form:
            raise verbs.ActionError(_("Выберите исполнителя."), None, "assignee")
        if raw.strip() and assignee is None:
            raise verbs.ActionError(_("Такого сотрудника нет."), None, "assignee")
        outcome = verbs.assign(incident_id, current_user, assignee, _version(), once=_once())
    except verbs.ActionError as exc:
        return _refused(exc, incident_id)
    return _done(_("Исполнитель назначен.") if outcome.incident.assignee_id else _("Исполнитель снят."),
                 outcome, incident_id)


@bp.post("/<int:incident_id>/comment")
@login_required
@once_per_form
def comment(incident_id: int):
    """Add a comment (also the field worker's progress note)."""
    visible_incident(incident_id)
    try:
        verbs.comment(incident_id, current_user, request.form.get("text", ""), once=_once())
    except verbs.ActionError as exc:
        return _refused(exc, incident_id)
    return _done(_("Комментарий добавлен."), None, incident_id, cells=())


@bp.post("/<int:incident_id>/duplicate")
@login_required
@once_per_form
def duplicate(incident_id: int):
    """Mark the card as a duplicate of another (by number): it leaves the board."""
    visible_incident(incident_id)
    raw = request.form.get("original", "").strip().lstrip("№#").strip()
    try:
        original = whole_number(raw, low=1)
        if original is None:
            raise verbs.ActionError(_("Укажите номер оригинального сообщения цифрами."), None, "original")
        outcome = verbs.mark_duplicate(incident_id, current_user, original, _version(), once=_once())
    except verbs.ActionError as exc:
        return _refused(exc, incident_id)
    left = [(department, None) for department, _status in outcome.cells]  # the card has left the board
    return _done(_("Отмечено как дубликат №%(id)d.", id=outcome.incident.duplicate_of_id), outcome,
                 incident_id, changed=[*outcome.cells, *left])
