"""Sign-in and sign-out pages, and how a session becomes a user."""
import secrets
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..navigation import home
from ..security import mark_active
from ..web import is_htmx
from .forms import LoginForm
from .passwords import authenticate
from .people import load_user

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None


login_manager.user_loader(load_user)


def htmx_page_path() -> str | None:
    """The local path of the page an htmx request came from, to come back to after signing in."""
    url = urlsplit(request.headers.get("HX-Current-URL", ""))
    if url.netloc and url.netloc != request.host:
        return None
    return (url.path + ("?" + url.query if url.query else "")) or None


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to the sign-in page; an htmx request gets a full-page redirect, not a login form in a lane."""
    if is_htmx():
        return "", 401, {"HX-Redirect": url_for("auth.login", next=htmx_page_path())}
    target = url_for("auth.login", next=request.full_path if request.method == "GET" else None)
    return redirect(target)


def safe_next(value: str | None, default: str | None = None) -> str:
    """Only local paths may be redirected to after login; else the default (the board)."""
    if (value and value.startswith("/") and not value.startswith("//") and "\\" not in value
            and value.isprintable() and " " not in value and not urlsplit(value).netloc):
        return value  # no control characters: browsers drop tabs and newlines, turning "/\t/x" into "//x"
    return default or url_for("board.show")


def login_key() -> str:
    """Rate-limit key for one account from one address."""
    return "{}|{}".format((request.form.get("login") or "").strip().lower()[:80], request.remote_addr)


def account_key() -> str:
    """Rate-limit key for one account from any address."""
    return "acct|" + (request.form.get("login") or "").strip().lower()[:80]


def limits_off() -> bool:
    """Per-app switch (the limiter object is shared by every app in a process, e.g. in tests)."""
    return not current_app.config["RATELIMIT_ENABLED"]


def failed(response) -> bool:
    """Only failed sign-ins count against the limits, so a shift logging in from one office is not blocked."""
    return response.status_code != 302


def _limit(setting: str, key_func=None):
    """A POST-only limit on the sign-in view, read from the named setting."""
    return limiter.limit(lambda: current_app.config[setting], key_func=key_func, methods=["POST"],
                         deduct_when=failed, exempt_when=limits_off, scope="login-" + setting.lower())


@bp.route("/login", methods=["GET", "POST"])
@_limit("LOGIN_LIMIT_PER_ACCOUNT_ADDRESS", login_key)
@_limit("LOGIN_LIMIT_PER_ACCOUNT", account_key)
@_limit("LOGIN_LIMIT_PER_ADDRESS")
def login():
    """The sign-in page."""
    if current_user.is_authenticated:
        return redirect(home(current_user.role))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user = authenticate(form.login.data, form.password.data)
        if user:
            session.clear()  # a new session on login: nothing from before signing in survives
            if not user.session_nonce:
                user.session_nonce = secrets.token_hex(16)
                db.session.commit()
            login_user(user)
            mark_active()
            return redirect(safe_next(request.args.get("next"), home(user.role)))  # field staff: «Мои задачи»
        error = _("Неверный логин или пароль.")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
@login_required
def logout():
    """End the session: a new nonce makes every copy of the old cookie worthless."""
    current_user.session_nonce = secrets.token_hex(16)
    db.session.commit()
    logout_user()
    session.clear()
    if is_htmx():
        return "", 204, {"HX-Redirect": url_for("auth.login")}
    return redirect(url_for("auth.login"))
