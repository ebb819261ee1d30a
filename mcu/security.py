"""Security that every request passes through: response headers, the idle timeout, CSRF failures.

Background polling marker: a request is background polling (and so does NOT extend a person's idle
time) when it carries the header ``X-MCU-Background: 1``. Polls declare it themselves with
``hx-headers:append='{{ background_headers }}'`` (a Jinja global), and static/js/app.js adds it to every
htmx request fired by an ``hx-trigger="every …"`` poll as a safety net; any other automatic request
sends it itself. Code that needs to know asks :func:`mcu.web.is_background`. Every other request by a
signed-in person counts as a real action and moves the idle clock. See docs/security.md.
"""
import time
from urllib.parse import unquote_to_bytes

from flask import abort, current_app, flash, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from .auth.forms import LoginForm
from .errors import page
from .extensions import login_manager
from .web import BACKGROUND_HEADERS_JSON, is_background

LAST_SEEN_KEY = "_seen"  # epoch seconds of the last real action, kept in the signed session cookie

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def now() -> int:
    """The clock the idle timeout reads (a function so tests can move it)."""
    return int(time.time())


def mark_active() -> None:
    """Record a real action now; called at sign-in and on every non-background request."""
    session[LAST_SEEN_KEY] = now()


def idle_expired() -> bool:
    """True when the signed-in session has had no real action for longer than the idle timeout."""
    return is_idle(session.get(LAST_SEEN_KEY), current_app.config["IDLE_TIMEOUT_MINUTES"])


def is_idle(seen, minutes: int) -> bool:
    """True when a session whose last real action was at ``seen`` (epoch seconds) is past the idle timeout."""
    if minutes <= 0:
        return False
    if not isinstance(seen, int):
        return True  # a session that never recorded an action is not trusted
    return now() - seen > minutes * 60


def enforce_idle_timeout():
    """End an idle person's session; otherwise move the idle clock unless this is background polling."""
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    if idle_expired():
        minutes = current_app.config["IDLE_TIMEOUT_MINUTES"]
        logout_user()
        session.clear()
        flash(ngettext("Сеанс завершён после %(num)d минуты бездействия. Войдите снова.",
                       "Сеанс завершён после %(num)d минут бездействия. Войдите снова.", minutes),
              "info")
        if request.endpoint == "auth.login":
            return None
        return login_manager.unauthorized()
    if not is_background():
        mark_active()
    return None


def csrf_failed(exc):
    """A CSRF failure in Russian: a fragment for htmx, the sign-in form again for a stale login page."""
    message = _("Страница устарела: обновите её и повторите действие. Введённое не сохранено.")
    if request.endpoint == "auth.login":
        form = LoginForm(formdata=None, login=request.form.get("login", "")[:80])
        return render_template("auth/login.html", form=form,
                               error=_("Страница входа устарела: введите пароль ещё раз.")), 400
    if not current_user.is_authenticated:
        # the session behind the page has ended: send the person to sign in, never a form into a lane
        return login_manager.unauthorized()
    return page(400, message)


def rate_limited(exc):
    """Too many sign-in attempts: the sign-in page again with a Russian notice, status 429."""
    if request.endpoint == "auth.login":
        form = LoginForm(formdata=None, login=request.form.get("login", "")[:80])
        return render_template("auth/login.html", form=form, error=_(
            "Слишком много попыток входа. Подождите минуту и попробуйте снова.")), 429
    return page(429)


STRICT = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"),
          ("Cross-Origin-Opener-Policy", "same-origin"))


def headers(response):
    """Strict headers on every response; personal pages are never stored by the browser or a proxy.
    (Every poll of every open screen passes here: it adds what is missing without parsing what is there.)"""
    present = response.headers
    if "Content-Security-Policy" not in present:
        present.add("Content-Security-Policy", CSP)
    present.extend(STRICT)
    if request.is_secure and "Strict-Transport-Security" not in present:
        present.add("Strict-Transport-Security", "max-age=31536000")
    if (request.endpoint != "static" and "Cache-Control" not in present and "_user_id" in session):
        present.add("Cache-Control", "no-store")
    vary = present.get("Vary", "")
    if "HX-Request" not in vary:
        present["Vary"] = f"{vary}, HX-Request" if vary else "HX-Request"
    return response


FORM_CHECK_BYTES = 1024 * 1024  # form bodies read raw for the check below (larger ones are files, checked by their page)


def _utf8(raw: bytes) -> bool:
    """True when URL-encoded bytes decode as UTF-8 (browsers send nothing else; a decode with replacement would
    store «�» in place of what the person typed)."""
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def refuse_unreadable_input():
    """Refuse, in Russian and before anything reads the form (the CSRF check would call it a stale page), a query
    or form that is not UTF-8 or holds a NUL byte (PostgreSQL can neither store nor compare one). The query
    string and URL-encoded bodies are checked raw, so a poll does not parse its arguments for this."""
    raw = [request.query_string]
    form_body = request.method in ("POST", "PUT", "PATCH", "DELETE")
    if form_body and request.mimetype == "application/x-www-form-urlencoded" \
            and (request.content_length or 0) <= FORM_CHECK_BYTES:
        raw.append(request.get_data(cache=True))
        form_body = False
    for part in raw:
        if not _utf8(part):
            abort(400, description=_("В запросе есть символы не в кодировке UTF-8: так браузер текст не отправляет. "
                                     "Проверьте введённое и отправьте ещё раз."))
        if b"%00" in part or b"\x00" in part:
            abort(400, description=_("В запросе есть недопустимый символ (NUL). Уберите его и повторите."))
    if form_body and any("\x00" in v for listed in request.form.listvalues() for v in listed):
        abort(400, description=_("В запросе есть недопустимый символ (NUL). Уберите его и повторите."))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per app instead of per request
    (making it costs a third of reading a session, and every poll of every open screen reads one)."""

    def get_signing_serializer(self, app):
        key = app.secret_key
        cached = app.extensions.get("mcu_session_serializer")
        if cached is None or cached[0] != key:
            cached = app.extensions["mcu_session_serializer"] = (key, super().get_signing_serializer(app))
        return cached[1]


def register(app):
    """Install the hooks: idle timeout before each request, headers after, Russian CSRF errors."""
    app.session_interface = SessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_input)
    app.before_request(enforce_idle_timeout)
    app.after_request(headers)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(RateLimitExceeded, rate_limited)
    app.jinja_env.globals["background_headers"] = BACKGROUND_HEADERS_JSON
