"""The ЦУР JSON feed: the documented contract, a source's field mapping, and failures in words."""
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import ClassVar

import pytest
import requests

from mcu.feeds import FeedError, cur_json, map_items, poll

CONTRACT_ITEM = {
    "id": "IM-2026-000123", "created_at": "2026-11-30T09:15:00+10:00", "updated_at": "2026-11-30T09:20:00+10:00",
    "channel": "im", "platform": "ВКонтакте", "author": "Анна К.", "text": "На ул. Ленина яма\r\nглубокая",
    "url": "https://vk.com/wall-1_2", "address": "ул. Ленина, 5", "lat": 48.48, "lon": 135.07,
    "topic": "Дороги", "urgent": "true", "status": "new",
    "answer": {"text": "Принято", "at": "2026-11-30T12:00:00+10:00"},
}


def source(mapping=None, url="http://127.0.0.1:1/feed", credentials="", cursor=""):
    return SimpleNamespace(kind="cur_json", url=url, credentials=credentials, field_mapping=mapping, cursor=cursor)


def test_a_contract_document_maps_every_field():
    body = json.dumps({"items": [CONTRACT_ITEM], "next_cursor": "c2", "has_more": True}).encode()
    page = cur_json.parse(body, source())
    assert (page.next_cursor, page.has_more) == ("c2", True)
    records, errors = map_items(page.items, source(), cur_json)
    assert errors == []
    r = records[0]
    assert r.external_id == "IM-2026-000123"
    assert r.received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)
    assert r.updated_at == datetime(2026, 11, 29, 23, 20, tzinfo=UTC)
    assert (r.channel, r.platform, r.author, r.topic, r.status) == ("im", "ВКонтакте", "Анна К.", "Дороги", "new")
    assert r.text == "На ул. Ленина яма\nглубокая" and r.urgent is True
    assert (r.lat, r.lon, r.address, r.url) == (48.48, 135.07, "ул. Ленина, 5", "https://vk.com/wall-1_2")
    assert r.answer_text == "Принято" and r.answered_at == datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert r.raw == CONTRACT_ITEM


def test_a_real_export_is_mapped_without_code():
    mapping = {
        "items": "data.messages", "next_cursor": "data.paging.next", "has_more": None,
        "fields": {"external_id": "num", "received_at": "date", "text": "body.message", "author": "body.user.name",
                   "channel": "src", "topic": "rubric", "status": "state", "lat": "geo.0", "lon": "geo.1"},
        "values": {"channel": {"VK": "public", "Директ": "direct_mayor"}, "status": {"Новый": "new",
                                                                                    "Закрыт": "resolved"}},
        "timezone": "Asia/Vladivostok",
    }
    export = {"data": {"messages": [
        {"num": 501, "date": "30.11.2026 09:15", "body": {"message": "Нет света", "user": {"name": "Пётр"}},
         "src": "VK", "rubric": "Уличное освещение", "state": "Новый", "geo": [48.5, 135.1]},
        {"num": 502, "date": "30.11.2026 10:00", "body": {"message": "Ответили"}, "src": "Директ", "state": "Закрыт"},
    ], "paging": {"next": 17}}}
    src = source(mapping)
    page = cur_json.parse(json.dumps(export).encode(), src)
    assert page.next_cursor == "17" and page.has_more is False
    records, errors = map_items(page.items, src, cur_json)
    assert errors == []
    one, two = records
    assert (one.external_id, one.text, one.author, one.channel, one.topic, one.status) == (
        "501", "Нет света", "Пётр", "public", "Уличное освещение", "new")
    assert one.received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC) and (one.lat, one.lon) == (48.5, 135.1)
    assert (two.channel, two.status, two.author) == ("direct_mayor", "resolved", "")


def test_bad_items_are_row_errors_beside_good_ones():
    items = [CONTRACT_ITEM, {"text": "без номера", "created_at": "2026-11-30T09:00:00Z"},
             {"id": "x", "created_at": "не дата"}, {"id": "y"}, "строка"]
    records, errors = map_items(cur_json.parse(json.dumps(items).encode(), source()).items, source(), cur_json)
    assert [r.external_id for r in records] == ["IM-2026-000123"]
    assert [e.row for e in errors] == ["2", "3 (x)", "4 (y)", "5"]
    assert "идентификатор" in errors[0].message and "дат" in errors[1].message and "дат" in errors[2].message


@pytest.mark.parametrize("body, words", [
    (b"<html><body>502 Bad Gateway</body></html>", "HTML"),
    (b'{"items": [{"id": 1}', "JSON"),
    (b'{"error": "token expired"}', "token expired"),
    (b'{"rows": []}', "нет списка"),
    (b"   ", "пустой"),
    ('{"items": [{"id": "1", "text": "Привет"}]}'.encode("cp1251"), None),
])
def test_documents_that_are_not_the_contract(body, words):
    if words is None:  # Windows-1251 instead of UTF-8 is still read
        assert cur_json.parse(body, source()).items[0]["text"] == "Привет"
        return
    with pytest.raises(FeedError) as exc:
        cur_json.parse(body, source())
    assert words in str(exc.value)


class Feed(BaseHTTPRequestHandler):
    """A local feed: /ok answers the contract, /big streams forever, /fail answers 500."""

    seen: ClassVar[list] = []

    def do_GET(self):
        Feed.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/fail"):
            self.send_response(500)
            self.end_headers()
            return
        if self.path.startswith("/big"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(2000):  # up to 64 MB, never read whole by the client
                    self.wfile.write(b" " * 32768)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        body = json.dumps({"items": [CONTRACT_ITEM], "next_cursor": "n2", "has_more": False}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Feed.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_poll_sends_cursor_and_token_and_returns_a_batch(feed_url):
    batch = poll(source(url=f"{feed_url}/ok", credentials="s3cret", cursor="n1"), requests.Session())
    assert [r.external_id for r in batch.records] == ["IM-2026-000123"]
    assert (batch.next_cursor, batch.has_more, batch.errors) == ("n2", False, [])
    path, auth = Feed.seen[0]
    assert "cursor=n1" in path and "limit=500" in path and auth == "Bearer s3cret"


def test_fetch_failures_are_feed_errors(feed_url, monkeypatch):
    with pytest.raises(FeedError, match="HTTP 500"):
        poll(source(url=f"{feed_url}/fail"), requests.Session())
    monkeypatch.setattr(cur_json.feed_http, "MAX_BYTES", 1024 * 1024)
    with pytest.raises(FeedError, match="больше допустимого"):
        cur_json.feed_http.get(requests.Session(), f"{feed_url}/big", max_bytes=1024 * 1024)
    with pytest.raises(FeedError, match="отказал в соединении"):
        poll(source(url="http://127.0.0.1:9/feed"), requests.Session())
