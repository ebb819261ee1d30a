"""Fetching a feed document safely: per-read timeouts, a total deadline per poll, a cap on the body size, and a
Russian sentence for every failure (the source's health shows it as it is)."""
import json
import socket
import threading
import time
from http.client import RemoteDisconnected

import requests
import urllib3.exceptions
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .records import FeedError

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = (5, 30)  # connect, read (seconds between packets): for a plain session without limits of its own
CHUNK = 64 * 1024
STATUS_WORDS = {
    400: _l("запрос не принят"), 401: _l("нужна авторизация: проверьте ключ доступа"), 403: _l("доступ запрещён"),
    404: _l("адрес не найден"), 408: _l("сервер не дождался запроса"), 410: _l("адрес больше не существует"),
    429: _l("слишком много запросов"), 500: _l("внутренняя ошибка сервера"), 502: _l("ошибка шлюза"),
    503: _l("сервис недоступен"), 504: _l("шлюз не дождался ответа"),
}


class FeedSession(requests.Session):
    """An HTTP session for one poll: its User-Agent, its per-read timeouts, and the moment the poll must end by
    (every page of the poll shares it)."""

    def __init__(self, user_agent: str, timeout: tuple[float, float], deadline_seconds: float):
        super().__init__()
        self.headers["User-Agent"] = user_agent
        self.timeout = timeout
        self.deadline_seconds = deadline_seconds
        self.deadline = time.monotonic() + deadline_seconds


def get(http: requests.Session, url: str, params: dict | None = None, headers: dict | None = None,
        max_bytes: int = MAX_BYTES, timeout=None) -> bytes:
    """The body of a GET, read in chunks and abandoned past `max_bytes` or past the session's deadline
    (the whole answer, not one read); every failure is a FeedError in words."""
    limited = isinstance(http, FeedSession)
    connect, read = timeout or (http.timeout if limited else TIMEOUT)
    deadline = http.deadline if limited else None
    if deadline is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise FeedError(_too_slow(http.deadline_seconds))
        connect, read = min(connect, left), min(read, left)
    cut = threading.Event()
    body = bytearray()
    answered, declared = False, None
    try:
        with http.get(url, params=params, headers=headers, timeout=(connect, read), stream=True,
                      allow_redirects=True) as response:
            if response.status_code >= 400:
                raise FeedError(_status(response.status_code))
            answered = True
            length = response.headers.get("Content-Length", "")
            declared = int(length) if length.isdigit() else None
            if declared is not None and declared > max_bytes:
                raise FeedError(_too_big(max_bytes))
            watchdog = None
            if deadline is not None:  # shut the socket at the deadline: a blocked read then ends at once
                watchdog = threading.Timer(max(deadline - time.monotonic(), 0), _shut, (response, cut))
                watchdog.daemon = True
                watchdog.start()
            try:
                for chunk in response.iter_content(CHUNK):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FeedError(_too_big(max_bytes))
            finally:
                if watchdog is not None:
                    watchdog.cancel()
            if cut.is_set():
                raise FeedError(_too_slow(http.deadline_seconds))
            return bytes(body)
    except FeedError:
        raise
    except requests.exceptions.RequestException as exc:
        if cut.is_set() or (deadline is not None and time.monotonic() >= deadline):
            raise FeedError(_too_slow(http.deadline_seconds)) from None
        raise FeedError(_failure(exc, connect, read, len(body) if answered else None, declared)) from None


def _shut(response, cut: threading.Event) -> None:
    cut.set()
    try:
        response.raw.shutdown()
    except (RuntimeError, ValueError, OSError):
        pass  # already finished or released


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps: causes, contexts, and the exceptions urllib3 keeps in args or reason."""
    chain, todo = [], [exc]
    while todo:
        item = todo.pop()
        if isinstance(item, BaseException) and item not in chain:
            chain.append(item)
            todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *getattr(item, "args", ())]
    return chain


def _failure(exc: requests.exceptions.RequestException, connect: float, read: float, received: int | None,
             declared: int | None) -> str:
    """What went wrong, in words: the exception's chain is read for its cause, never shown."""
    chain = _causes(exc)

    def has(*kinds):
        return any(isinstance(e, kinds) for e in chain)

    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema)):
        return _("Неверный адрес источника: проверьте его в настройках")
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return _("Источник перенаправляет запрос по кругу (слишком много перенаправлений)")
    if isinstance(exc, requests.exceptions.SSLError) or has(urllib3.exceptions.SSLError):
        return _("Не удалось установить защищённое соединение с источником: "
                 "его сертификат не принят или протокол не совпадает (TLS)")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return _("Источник не принял соединение за %(n)s с (таймаут)", n=_seconds(connect))
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return _("Адрес сервера источника не найден (DNS): проверьте имя сервера")
    if has(ConnectionRefusedError):
        return _("Источник отказал в соединении: на этом адресе и порту сервер не принимает подключения")
    if received is not None:  # the headers had come: the body was cut short
        received += sum(e.partial for e in chain if isinstance(e, urllib3.exceptions.IncompleteRead)
                        and isinstance(e.partial, int))  # read by urllib3, never handed over
        if has(urllib3.exceptions.ReadTimeoutError, socket.timeout):
            return _("Источник замолчал посреди ответа дольше %(n)s с (таймаут): получено %(got)d байт",
                     n=_seconds(read), got=received)
        if declared is not None:
            return _("Источник оборвал ответ: получено %(got)d байт из %(total)d", got=received, total=declared)
        return _("Источник оборвал ответ: получено %(got)d байт, ответ не завершён", got=received)
    if isinstance(exc, requests.exceptions.ReadTimeout) or has(urllib3.exceptions.ReadTimeoutError):
        return _("Источник не начал отвечать за %(n)s с (таймаут)", n=_seconds(read))
    if has(RemoteDisconnected, ConnectionResetError):
        return _("Источник закрыл соединение, не ответив на запрос")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return _("Не удалось соединиться с источником")
    return _("Запрос к источнику не удался; подробности в журнале")


def _seconds(value: float) -> str:
    """Seconds as a Russian reads them: 60, 2,5."""
    return f"{round(value, 1):g}".replace(".", ",")


def _status(code: int) -> str:
    words = STATUS_WORDS.get(code) or (_l("ошибка сервера") if code >= 500 else _l("запрос отклонён"))
    return _("Источник ответил ошибкой HTTP %(code)d (%(words)s)", code=code, words=str(words))


def _too_big(max_bytes: int) -> str:
    return _("Ответ источника больше допустимого (%(n)d МБ), загрузка прервана", n=max_bytes // (1024 * 1024))


def _too_slow(seconds: float) -> str:
    return _("Источник отвечает слишком медленно: опрос прерван через %(n)s с", n=_seconds(seconds))


def decode(body: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM), else Windows-1251, the usual Russian legacy encoding."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1251")
    except UnicodeDecodeError:
        raise FeedError(_("Ответ источника не в кодировке UTF-8 и не в Windows-1251")) from None


def looks_like_html(text: str) -> bool:
    """True for an HTML page (a login form, a proxy's error page) where data was expected."""
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or "<html" in head or "<body" in head


def json_document(text: str, expected: str = "JSON"):
    """Decoded text parsed as JSON; an HTML page or broken JSON is a FeedError in words for the health panel."""
    if looks_like_html(text):
        raise FeedError(_("Источник вернул HTML-страницу вместо %(expected)s", expected=expected))
    try:
        return json.loads(text, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise FeedError(_("Ответ источника не является корректным JSON (строка %(line)d, позиция %(column)d)",
                          line=exc.lineno, column=exc.colno)) from None


def _integer(digits: str):
    """A JSON integer; one too long for Python to read as a number (over 4,300 digits) stays its text, so one such
    value is that item's problem, never the loss of the page."""
    try:
        return int(digits)
    except ValueError:
        return digits
