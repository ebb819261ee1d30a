"""Sign-in and sign-out pages, and how a session becomes a user."""
import secrets

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, login_manager
from ..models import User
from . import bp
from .forms import LoginForm
from .passwords import authenticate

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(identity: str):
    """The user behind a session cookie, if the cookie's nonce still matches."""
    user_id, _sep, nonce = identity.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_nonce != nonce:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to the sign-in page; an htmx request gets a full-page redirect, not a login form in a lane."""
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def safe_next(value: str | None) -> str:
    """Only local paths may be redirected to after login."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return url_for("board.show")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("board.show"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user:
            session.clear()  # a new session on login
            if not user.session_nonce:
                user.session_nonce = secrets.token_hex(16)
                db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")))
        error = _("Неверный логин или пароль.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """End the session."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
