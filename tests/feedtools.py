"""Test helpers for feeds and jobs: a real Redis (MCU_TEST_REDIS_URL or an embedded one) and a feed server
on 127.0.0.1 that can misbehave in every way a real one does."""
import json
import os
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from redis import Redis

from mcu import queue as mcu_queue


def redis_url_for_tests() -> tuple[str, object]:
    """MCU_TEST_REDIS_URL when set, else a private embedded redis-server; returns the URL and the process."""
    url = os.environ.get("MCU_TEST_REDIS_URL")
    if url:
        return url, None
    proc, url = mcu_queue.start_embedded(tempfile.mkdtemp(prefix="mcu-redis-"))
    return url, proc


def contract_items(prefix: str, n: int, text: str = "Яма на дороге у дома {i}") -> list[dict]:
    """n items in the ЦУР contract, ids prefix-1..n."""
    base = datetime.now(UTC) - timedelta(hours=1)
    return [{"id": f"{prefix}-{i}", "created_at": (base + timedelta(minutes=i)).isoformat(), "channel": "im",
             "author": "Житель", "text": text.format(i=i), "topic": "Дороги"} for i in range(1, n + 1)]


def document(items: list[dict], cursor: str = "c1", has_more: bool = False) -> bytes:
    return json.dumps({"items": items, "next_cursor": cursor, "has_more": has_more}, ensure_ascii=False).encode()


class FeedServer:
    """A threaded HTTP server whose answer per path is set by the test: bytes, a status, or a misbehaviour."""

    def __init__(self):
        self.routes: dict[str, object] = {}
        self.hits: dict[str, int] = {}
        self.release = threading.Event()  # lets a hanging answer finish
        self.hanging = threading.Event()  # set once a hanging answer has started
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.split("?")[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                route = server.routes.get(path, (404, b"{}"))
                if callable(route):
                    return route(self)
                status, body = route
                self.answer(status, body)

            def answer(self, status, body, ctype="application/json; charset=utf-8"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# misbehaviours: each takes the request handler
def slow(seconds: float):
    def route(h):
        time.sleep(seconds)
        try:
            h.answer(200, document([]))
        except OSError:
            pass
    return route


def close_connection(h):
    """Accept the request, then hang up without a byte of answer."""
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def huge_body(megabytes: int):
    """A 200 answer streamed without Content-Length: the client must stop by size, not read it all."""
    def route(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Connection", "close")
        h.end_headers()
        chunk = b"[" + b" " * (1024 * 1024 - 1)
        try:
            for _ in range(megabytes):
                h.wfile.write(chunk)
        except OSError:
            h.server_aborted = True  # the client stopped reading
        h.close_connection = True
    return route


def hang_mid_answer(server: FeedServer, full: bytes):
    """Send the headers and half the body, then wait until the test releases it; then finish."""
    def route(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(full)))
        h.end_headers()
        h.wfile.write(full[: len(full) // 2])
        h.wfile.flush()
        server.hanging.set()
        server.release.wait(60)
        try:
            h.wfile.write(full[len(full) // 2:])
        except OSError:
            pass
    return route


def wait_for(predicate, timeout: float = 30.0, step: float = 0.1):
    """Poll until predicate() is truthy (returns it) or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def flush(url: str) -> Redis:
    conn = Redis.from_url(url)
    conn.flushdb()
    return conn

