"""The answer templates' page (admins: all; heads: their department's) and saving or removing a board view."""
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..board.filters import parse as parse_filters
from ..lookups import load as load_lookups
from ..web import whole_number
from . import service

bp = Blueprint("shortcuts", __name__)


def _allowed():
    if not service.may_manage(current_user):
        abort(403)


@bp.get("/answer-templates/")
@login_required
def templates(error: str = "", form: dict | None = None, editing: int | None = None):
    """The answer templates this person keeps, the placeholders they may use and the form for a new one."""
    _allowed()
    lookups = load_lookups()
    return render_template("shortcuts/templates.html", templates=service.manageable(current_user),
                           placeholders=service.PLACEHOLDERS, lookups=lookups, error=error, form=form or {},
                           editing=editing, is_admin=current_user.role == "admin")


def _department(raw: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    number = whole_number(raw)
    if number is None:
        raise service.ShortcutError(_("Такого подразделения нет."))
    return number


@bp.post("/answer-templates/")
@login_required
def save_template():
    """Create a template (or change one: ``template`` names it); a refused one is shown again as typed."""
    _allowed()
    form = {key: request.form.get(key, "") for key in ("template", "title", "body", "department")}
    template_id = whole_number(form["template"]) if form["template"].strip() else None
    try:
        if form["template"].strip() and template_id is None:
            raise service.ShortcutError(_("Такого шаблона нет."), 404)
        service.save_template(current_user, template_id, form["title"], form["body"], _department(form["department"]))
    except service.ShortcutError as exc:
        if exc.status == 404:
            abort(404)
        return templates(error=exc.notice, form=form, editing=template_id), exc.status
    flash(_("Шаблон «%(t)s» сохранён.", t=form["title"].strip()), "ok")
    return redirect(url_for("shortcuts.templates"), 303)


@bp.post("/answer-templates/<int:template_id>/delete")
@login_required
def delete_template(template_id: int):
    """Remove a template."""
    _allowed()
    try:
        service.delete_template(current_user, template_id)
    except service.ShortcutError as exc:
        abort(exc.status)
    flash(_("Шаблон удалён."), "ok")
    return redirect(url_for("shortcuts.templates"), 303)


def board_query(raw: str) -> tuple[str, list]:
    """A board URL query as the board's own parser reads it: the known filters, normalised, and its complaints."""
    lookups = load_lookups()
    pairs = parse_qsl((raw or "").lstrip("?")[:service.VIEW_QUERY_LIMIT], keep_blank_values=False)
    filters = parse(MultiDict(pairs), lookups)
    return urlencode(filters.args()), filters.errors


def parse(args, lookups):
    return parse_filters(args, lookups.departments, lookups.topics, lookups.channels_by_code)


@bp.post("/board/views")
@login_required
def save_view():
    """Keep the board's current filters as a named tab of this person's board."""
    query, errors = board_query(request.form.get("query", ""))
    try:
        if errors:
            raise service.ShortcutError(errors[0])
        if not query:
            raise service.ShortcutError(_("Выберите фильтры, которые нужно сохранить: сейчас показана вся доска."))
        view = service.save_view(current_user, request.form.get("name", ""), query,
                                 current_app.config["SAVED_VIEWS_MAX"])
    except service.ShortcutError as exc:
        flash(exc.notice, "error")
        return redirect(url_for("board.show") + ("?" + query if query else ""), 303)
    flash(_("Вид «%(n)s» сохранён: это вкладка над доской, а её ссылкой можно поделиться.", n=view.name), "ok")
    return redirect(url_for("board.show") + "?" + view.query, 303)


@bp.post("/board/views/<int:view_id>/delete")
@login_required
def delete_view(view_id: int):
    """Remove one of this person's saved views."""
    try:
        service.delete_view(current_user, view_id)
    except service.ShortcutError as exc:
        abort(exc.status)
    flash(_("Вид удалён."), "ok")
    return redirect(url_for("board.show"), 303)
