"""The users pages (admins) and the own-password page (everyone signed in)."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required, login_user

from ..auth.views import limits_off
from ..extensions import db, limiter
from ..lookups import load as load_lookups
from ..models import User
from ..roles import ROLE_NAMES, can
from ..security import mark_active
from ..web import whole_number
from . import service

bp = Blueprint("users", __name__)


def _require_admin():
    if not can(current_user.role, "manage_users"):
        abort(403)


def _department(value: str | None) -> int | None:
    return whole_number(value)


def _form_page(user: User | None, values: dict, error: service.UserError | None = None, status: int = 200):
    return render_template("users/form.html", user=user, values=values, roles=ROLE_NAMES,
                           departments=list(load_lookups().departments.values()),
                           errors={error.field: str(error)} if error else {}), status


@bp.get("/users/")
@login_required
def index():
    """Everyone who can sign in, active first, by name."""
    _require_admin()
    users = db.session.scalars(db.select(User).order_by(User.active.desc(), User.name, User.login)).all()
    return render_template("users/index.html", users=users, roles=ROLE_NAMES, lookups=load_lookups())


@bp.get("/users/new")
@login_required
def new():
    """The empty form for a new user."""
    _require_admin()
    return _form_page(None, {"role": "operator"})


@bp.post("/users/new")
@login_required
def create():
    """Create the user; a refused form comes back with the reason and everything typed but the password."""
    _require_admin()
    values = {k: request.form.get(k, "") for k in ("login", "name", "role", "department_id")}
    try:
        user = service.create(values["login"], values["name"], values["role"], _department(values["department_id"]),
                              request.form.get("password", ""))
    except service.UserError as exc:
        db.session.rollback()
        return _form_page(None, values, exc, 400)
    flash(_("Пользователь «%(login)s» создан. Сообщите ему логин и пароль.", login=user.login), "ok")
    return redirect(url_for("users.index"), 303)


@bp.get("/users/<int:user_id>")
@login_required
def edit(user_id: int):
    """A user's form: name, role, department, active, and a new password when one is set."""
    _require_admin()
    user = db.get_or_404(User, user_id)
    return _form_page(user, {"name": user.name, "role": user.role, "department_id": str(user.department_id or ""),
                             "active": user.active})


@bp.post("/users/<int:user_id>")
@login_required
def update(user_id: int):
    """Save the user; a new password or deactivation ends their other sessions."""
    _require_admin()
    user = db.get_or_404(User, user_id)
    values = {k: request.form.get(k, "") for k in ("name", "role", "department_id")}
    values["active"] = request.form.get("active") == "y"
    try:
        changed = service.update(user, current_user, values["name"], values["role"],
                                 _department(values["department_id"]), values["active"],
                                 request.form.get("new_password", ""))
    except service.UserError as exc:
        db.session.rollback()
        return _form_page(user, values, exc, 400)
    if user.id == current_user.id:  # an admin's own new password: this session carries the new nonce
        login_user(user)
        mark_active()
    if changed:
        flash(_("«%(login)s»: изменено — %(what)s.", login=user.login, what=", ".join(changed)), "ok")
    else:
        flash(_("«%(login)s»: изменений нет.", login=user.login), "info")
    return redirect(url_for("users.index"), 303)


@bp.get("/account/password")
@login_required
def password():
    """The form to change one's own password."""
    return render_template("users/password.html", errors={})


def _password_key() -> str:
    """Rate-limit key for the change-password form: the account, whatever the session or address."""
    return f"password|{current_user.id}"


def _wrong_current_password(response) -> bool:
    """Only a wrong current password counts: a mistyped repeat is no guess."""
    return bool(g.get("wrong_current_password"))


@bp.post("/account/password")
@login_required
@limiter.limit(lambda: current_app.config["PASSWORD_LIMIT_PER_ACCOUNT"], key_func=_password_key,
               deduct_when=_wrong_current_password, exempt_when=limits_off, scope="password-change")
def change_password():
    """Change one's own password; this session stays, every other one ends."""
    if request.form.get("new", "") != request.form.get("repeat", ""):
        return render_template("users/password.html", errors={"repeat": _("Новый пароль и повтор не совпадают.")}), 400
    try:
        service.change_own_password(current_user, request.form.get("current", ""), request.form.get("new", ""))
    except service.UserError as exc:
        db.session.rollback()
        g.wrong_current_password = exc.field == "current"
        return render_template("users/password.html", errors={exc.field: str(exc)}), 400
    login_user(current_user._get_current_object())  # this session carries the new nonce
    mark_active()
    flash(_("Пароль изменён. На других устройствах нужно войти заново."), "ok")
    return redirect(url_for("board.show"), 303)


@bp.errorhandler(RateLimitExceeded)
def too_many_password_attempts(exc):
    """Over PASSWORD_LIMIT_PER_ACCOUNT wrong current passwords: the form again with a Russian notice, 429."""
    return render_template("users/password.html", errors={"current": _(
        "Слишком много неверных попыток ввести текущий пароль. Подождите 15 минут и попробуйте снова.")}), 429
