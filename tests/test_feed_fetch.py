"""Fetching a feed: every failure is told in Russian and as it happened (a cut-short answer as cut short), and a
source that trickles its answer is cut at the poll's total deadline, not kept for one read timeout per byte."""
import re
import socket
import time

import pytest
import requests
from feedtools import FeedServer, close_connection, huge_body, slow

from mcu.feeds import cur_json
from mcu.feeds import http as feed_http
from mcu.feeds.records import FeedError
from mcu.models import FeedSource

HTML = b"<!doctype html><html><body><form>Login</form></body></html>"
# the only Latin words a health message may hold: names of standards a person reads as they are
ALLOWED_LATIN = {"HTTP", "HTML", "JSON", "XML", "TLS", "DNS", "UTF", "Windows"}


@pytest.fixture(scope="module")
def feed():
    server = FeedServer()
    yield server
    server.close()


def cut_short(h):
    """Promise 1000 bytes, send 11, hang up."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.write(b'{"items": [')
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def trickle(every: float, total: int = 200):
    """A valid answer sent one byte every `every` seconds (about total * every seconds in all)."""
    def route(h):
        body = b" " * (total - 2) + b"[]"
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            for byte in body:
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            h.server.cut_after = time.monotonic()  # the client hung up
    return route


def session(deadline=30.0, timeout=(2, 0.5)) -> feed_http.FeedSession:
    return feed_http.FeedSession("mcu-test", timeout, deadline)


def source(url: str) -> FeedSource:
    return FeedSource(name="Проверка", kind="cur_json", url=url, credentials="", field_mapping=None, cursor="")


def failure(url: str, http=None) -> str:
    with pytest.raises(FeedError) as caught:
        body = cur_json.fetch(source(url), None, http or session())
        cur_json.parse(body, source(url))
    return str(caught.value)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_fetch_failure_is_told_in_russian_and_names_what_happened(app, feed):
    feed.routes.update({"/500": (500, b"oops"), "/slow": slow(2.0), "/closed": close_connection,
                        "/cut": cut_short, "/html": (200, HTML), "/broken": (200, b'{"items": [{"id": 1'),
                        "/big": huge_body(25)})
    expected = {
        "refused": (f"http://127.0.0.1:{free_port()}/feed", "Источник отказал в соединении"),
        "dns": ("http://no-such-host.invalid/feed", "Адрес сервера источника не найден (DNS)"),
        "http 500": (feed.url("/500"), "Источник ответил ошибкой HTTP 500 (внутренняя ошибка сервера)"),
        "timeout": (feed.url("/slow"), "Источник не начал отвечать за 0,5 с (таймаут)"),
        "closed": (feed.url("/closed"), "Источник закрыл соединение, не ответив на запрос"),
        "cut short": (feed.url("/cut"), "Источник оборвал ответ: получено 11 байт из 1000"),
        "invalid url": ("http://[::1/feed", "Неверный адрес источника"),
        "tls": (feed.url("/html").replace("http://", "https://"), "Не удалось установить защищённое соединение"),
        "too big": (feed.url("/big"), "Ответ источника больше допустимого (20 МБ)"),
        "html": (feed.url("/html"), "Источник вернул HTML-страницу вместо JSON"),
        "broken json": (feed.url("/broken"), "Ответ источника не является корректным JSON"),
    }
    with app.app_context():
        said = {case: failure(url) for case, (url, _words) in expected.items()}
    for case, (_url, words) in expected.items():
        assert said[case].startswith(words), (case, said[case])
        latin = set(re.findall(r"[A-Za-z]+", said[case])) - ALLOWED_LATIN
        assert not latin, (case, said[case])  # no exception class, no server's English reason


def test_a_cut_short_answer_is_reported_as_cut_short_not_as_a_failed_connection(app, feed):
    feed.routes["/cut-only"] = cut_short
    with app.app_context():
        said = failure(feed.url("/cut-only"))
    assert "оборвал ответ" in said and "соедин" not in said


def test_a_trickling_source_is_cut_at_the_total_deadline(app, feed):
    feed.routes["/trickle"] = trickle(every=0.2)  # 40 s in all, never 0.5 s of silence: no read times out
    started = time.monotonic()
    with app.app_context(), pytest.raises(FeedError) as caught:
        feed_http.get(session(deadline=1.5), feed.url("/trickle"))
    elapsed = time.monotonic() - started
    assert str(caught.value) == "Источник отвечает слишком медленно: опрос прерван через 1,5 с"
    assert 1.4 <= elapsed <= 2.5, elapsed


def test_the_deadline_is_shared_by_every_page_of_one_poll(app, feed):
    feed.routes["/page"] = trickle(every=0.05, total=20)  # one page takes about 1 s
    http = session(deadline=1.5)
    with app.app_context():
        assert feed_http.get(http, feed.url("/page")) == b" " * 18 + b"[]"
        with pytest.raises(FeedError, match="опрос прерван через 1,5 с"):
            feed_http.get(http, feed.url("/page"))


def test_a_plain_session_keeps_per_read_timeouts_only(feed):
    feed.routes["/ok"] = (200, b"[]")
    assert feed_http.get(requests.Session(), feed.url("/ok")) == b"[]"
