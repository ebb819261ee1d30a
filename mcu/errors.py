"""Errors for people: a Russian page (or fragment) instead of a stack trace."""
import logging

from flask import g, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db, login_manager
from .web import is_htmx

log = logging.getLogger(__name__)

NOTICES = {
    400: _l("Запрос не понят: проверьте адрес или данные формы."),
    403: _l("У вас нет прав на это действие."),
    404: _l("Такой страницы или сообщения нет."),
    405: _l("Так к этой странице обратиться нельзя."),
    409: _l("Карточку уже изменили: показано её текущее состояние."),
    413: _l("Файл слишком большой."),
    429: _l("Слишком много попыток. Подождите минуту и попробуйте снова."),
    500: _l("Что-то пошло не так. Мы уже знаем об ошибке; попробуйте ещё раз."),
    503: _l("База данных сейчас недоступна. Ничего не потеряно: повторите через минуту."),
}
UNAVAILABLE = {  # what the database said, in a few words of its own, -> what a person reads
    "disk": _l("На сервере закончилось место: изменение не сохранено, ничего из сохранённого не потеряно. "
               "Повторите позже; администратор уже может освободить место."),
    "read-only": _l("База данных сейчас открыта только для чтения: изменение не сохранено. Повторите позже."),
}
RETRY_AFTER_SECONDS = 30


def unavailable(exc: Exception) -> str | None:
    """Which way the database is unavailable (down, full, read-only), or None for an error of the code itself."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text or "no space left" in text or "could not extend file" in text:
        return "disk"
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read-only"
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        return "down"
    return None


def register(app):
    """Render every HTTP error and every unexpected exception through one template."""

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return page(exc.code or 500, getattr(exc, "description", None))

    @app.errorhandler(DBAPIError)
    def database_error(exc):
        kind = unavailable(exc)
        if kind is None:
            return unexpected(exc)
        log.error("database unavailable (%s) on %s %s: %s", kind, request.method, request.path, exc)
        try:
            db.session.rollback()
        except DBAPIError:
            pass
        return out_of_service(UNAVAILABLE.get(kind, NOTICES[503]))

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return page(500)


def out_of_service(notice) -> tuple:
    """A 503 that needs nothing the database holds (no signed-in user, no lookups): its own page or fragment."""
    g._login_user = login_manager.anonymous_user()  # templates must not ask the database who is signed in
    template = "errors/_notice.html" if is_htmx() else "errors/unavailable.html"
    return (render_template(template, code=503, notice=str(notice)), 503,
            {"Retry-After": str(RETRY_AFTER_SECONDS)})


def page(code: int, detail: str | None = None):
    """The error page, or a bare notice when htmx asked for a fragment."""
    notice = str(NOTICES.get(code, NOTICES[500]))
    # werkzeug's default English descriptions are not for our users; our own aborts pass Russian text.
    if detail and not detail.isascii():
        notice = detail
    template = "errors/_notice.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, notice=notice), code
