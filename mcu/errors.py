"""Errors for people: a Russian page (or fragment) instead of a stack trace."""
import logging

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

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
}


def register(app):
    """Render every HTTP error and every unexpected exception through one template."""

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return page(exc.code or 500, getattr(exc, "description", None))

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return page(500)


def page(code: int, detail: str | None = None):
    """The error page, or a bare notice when htmx asked for a fragment."""
    notice = str(NOTICES.get(code, NOTICES[500]))
    # werkzeug's default English descriptions are not for our users; our own aborts pass Russian text.
    if detail and not detail.isascii():
        notice = detail
    template = "errors/_notice.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=code, notice=notice), code
