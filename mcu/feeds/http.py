"""Fetching a feed document safely: timeouts, a cap on the body size, and Russian messages for failures."""
import json

import requests

from .records import FeedError

MAX_BYTES = 20 * 1024 * 1024
TIMEOUT = (5, 30)  # connect, read (seconds between bytes)
CHUNK = 64 * 1024


def get(http: requests.Session, url: str, params: dict | None = None, headers: dict | None = None,
        max_bytes: int = MAX_BYTES, timeout=TIMEOUT) -> bytes:
    """The body of a GET, read in chunks and abandoned past `max_bytes`; every failure is a FeedError."""
    try:
        with http.get(url, params=params, headers=headers, timeout=timeout, stream=True,
                      allow_redirects=True) as response:
            if response.status_code >= 400:
                raise FeedError(f"Источник ответил ошибкой HTTP {response.status_code}"
                                + (f" ({response.reason})" if response.reason else ""))
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FeedError(_too_big(max_bytes))
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FeedError(_too_big(max_bytes))
            return bytes(body)
    except FeedError:
        raise
    except requests.exceptions.Timeout:
        raise FeedError("Источник не ответил вовремя (таймаут)") from None
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        if "RemoteDisconnected" in text or "Connection aborted" in text or "IncompleteRead" in text:
            raise FeedError("Источник закрыл соединение, не передав ответ целиком") from None
        raise FeedError("Не удалось соединиться с источником") from None
    except requests.exceptions.ChunkedEncodingError:
        raise FeedError("Источник закрыл соединение, не передав ответ целиком") from None
    except requests.exceptions.InvalidURL:
        raise FeedError("Неверный адрес источника") from None
    except requests.exceptions.RequestException as exc:
        raise FeedError(f"Ошибка запроса к источнику: {exc.__class__.__name__}") from None


def _too_big(max_bytes: int) -> str:
    return f"Ответ источника больше допустимого ({max_bytes // (1024 * 1024)} МБ), загрузка прервана"


def decode(body: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM), else Windows-1251, the usual Russian legacy encoding."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode("cp1251")
    except UnicodeDecodeError:
        raise FeedError("Ответ источника не в кодировке UTF-8 и не в Windows-1251") from None


def looks_like_html(text: str) -> bool:
    """True for an HTML page (a login form, a proxy's error page) where data was expected."""
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html")) or "<html" in head or "<body" in head


def json_document(text: str, expected: str = "JSON"):
    """Decoded text parsed as JSON; an HTML page or broken JSON is a FeedError in words for the health panel."""
    if looks_like_html(text):
        raise FeedError(f"Источник вернул HTML-страницу вместо {expected}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FeedError(f"Ответ источника не является корректным JSON (строка {exc.lineno}, "
                        f"позиция {exc.colno})") from None
