"""The keyword rules page: admins add, switch off and delete rules; routing of new incidents reads them."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..lookups import load as load_lookups
from ..roles import can
from ..web import whole_number
from . import service

bp = Blueprint("rules", __name__, url_prefix="/rules")


def _allowed():
    if not can(current_user.role, "manage_feeds"):
        abort(403)


def _int(value: str | None) -> int | None:
    return whole_number(value)


@bp.get("/")
@login_required
def index(error: str | None = None, form: dict | None = None):
    """Every rule in the order it is tried, and the form for a new one."""
    _allowed()
    return render_template("rules/index.html", rules=service.rules(), lookups=load_lookups(), error=error,
                           form=form or {}, unrouted=service.unrouted_topics())


@bp.post("/")
@login_required
def add():
    """Add a rule; a bad one is shown again with the reason and nothing typed is lost."""
    _allowed()
    form = {"keyword": request.form.get("keyword", ""), "department": request.form.get("department", ""),
            "topic": request.form.get("topic", "")}
    try:
        service.add(form["keyword"], _int(form["department"]), _int(form["topic"]))
    except service.RuleError as exc:
        return index(error=str(exc), form=form), 400
    return redirect(url_for("rules.index"), 303)


@bp.post("/topics/<int:topic_id>")
@login_required
def route_topic(topic_id: int):
    """Give a topic without a department (e.g. one an import created) its department."""
    _allowed()
    try:
        if service.route_topic(topic_id, _int(request.form.get("department"))) is None:
            abort(404, _("Такой тематики нет."))
    except service.RuleError as exc:
        return index(error=str(exc)), 400
    return redirect(url_for("rules.index"), 303)


@bp.post("/<int:rule_id>/toggle")
@login_required
def toggle(rule_id: int):
    """Switch a rule off or on."""
    _allowed()
    if service.toggle(rule_id) is None:
        abort(404, _("Такого правила нет."))
    return redirect(url_for("rules.index"), 303)


@bp.post("/<int:rule_id>/delete")
@login_required
def delete(rule_id: int):
    """Delete a rule."""
    _allowed()
    if not service.remove(rule_id):
        abort(404, _("Такого правила нет."))
    return redirect(url_for("rules.index"), 303)
