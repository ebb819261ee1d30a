"""A feed that misbehaves: its health says what happened in Russian, the poll job fails so RQ retries it
with backoff, the other sources keep working and nothing of the bad answer is stored."""
import functools

import pytest
from feedtools import (
    FeedServer,
    close_connection,
    contract_items,
    document,
    huge_body,
    slow,
)
from redis import Redis
from rq import SimpleWorker
from rq.job import Job, JobStatus

from mcu.extensions import db
from mcu.feeds import http as feed_http
from mcu.models import FeedSource, Incident
from mcu.queue import QUEUE_NAME
from mcu.sources import scheduling


@pytest.fixture(scope="module")
def feed():
    server = FeedServer()
    yield server
    server.close()


def add_source(app, name, url, kind="cur_json", mapping=None) -> int:
    with app.app_context():
        source = FeedSource(name=name, kind=kind, url=url, interval_seconds=60, enabled=True, cursor="",
                            credentials="", field_mapping=mapping)
        db.session.add(source)
        db.session.commit()
        return source.id


def run_due(app, conn: Redis) -> dict[int, str]:
    """One scheduler tick, then a worker until the queue is empty; returns source id -> poll job id."""
    with app.app_context():
        scheduling.enqueue_due(conn, 300)
        sources = list(db.session.scalars(db.select(FeedSource.id)))
    SimpleWorker([QUEUE_NAME], connection=conn).work(burst=True)
    return {sid: conn.get(scheduling.MARKER_KEY.format(sid)).decode() for sid in sources
            if conn.get(scheduling.MARKER_KEY.format(sid))}


def stored(app, source_name) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Incident.external_id).where(Incident.source == source_name)))


def health(app, source_id) -> FeedSource:
    with app.app_context():
        source = db.session.get(FeedSource, source_id)
        db.session.expunge(source)
        return source


HTML = b"<!doctype html><html><body><form>Login</form></body></html>"
TRUNCATED_XML = (b'<?xml version="1.0" encoding="utf-8"?><service_requests><request>'
                 b'<service_request_id>1</service_request_id><description>Yama')

FAULTS = {
    "http 500": ("cur_json", None, lambda s: (500, b"oops"), "HTTP 500"),
    "timeout": ("cur_json", None, lambda s: slow(2.0), "таймаут"),
    "closed connection": ("cur_json", None, lambda s: close_connection, "соединение"),
    "html instead of json": ("cur_json", None, lambda s: (200, HTML), "HTML"),
    "truncated xml": ("open311", {"format": "xml"}, lambda s: (200, TRUNCATED_XML), "XML"),
    "50 MB body": ("cur_json", None, lambda s: huge_body(50), "больше допустимого"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_failing_feed_is_reported_retried_and_does_not_stop_the_others(app, client, auth, make, redis_conn,
                                                                         feed, monkeypatch, fault):
    kind, mapping, route, words = FAULTS[fault]
    monkeypatch.setattr(feed_http, "get", functools.partial(feed_http.get, timeout=(2, 0.5)))
    path = f"/bad-{fault.replace(' ', '-')}" + ("/requests.xml" if kind == "open311" else "")
    feed.routes[path] = route(feed)
    feed.routes["/good"] = (200, document(contract_items("good", 3)))
    bad = add_source(app, "Плохой", feed.url(path), kind=kind, mapping=mapping)
    good = add_source(app, "Хороший", feed.url("/good"))

    job_ids = run_due(app, redis_conn)

    state = health(app, bad)
    assert words in state.last_error and state.consecutive_failures == 1
    assert state.last_success_at is None and state.cursor == ""
    assert stored(app, "Плохой") == []
    job = Job.fetch(job_ids[bad], connection=redis_conn)
    assert job.get_status() == JobStatus.SCHEDULED  # RQ will try again, after the declared backoff
    assert job.retries_left == scheduling.POLL_RETRY.max - 1 and job.retry_intervals == scheduling.POLL_RETRY.intervals
    assert sorted(stored(app, "Хороший")) == ["good-1", "good-2", "good-3"]
    assert health(app, good).consecutive_failures == 0

    auth.as_role(make, "admin")
    page = client.get("/sources/").get_data(as_text=True)
    assert words in page
    board = client.get("/board")
    assert board.status_code == 200
    assert "источники с ошибками: 1" in client.get("/sources/badge").get_data(as_text=True)


def test_a_feed_labelled_utf8_but_sent_in_cp1251_is_read_as_russian(app, redis_conn, feed):
    feed.routes["/cp1251"] = (200, document(contract_items("enc", 2, text="Не горит фонарь у дома {i}"))
                              .decode().encode("cp1251"))
    source = add_source(app, "Кодировка", feed.url("/cp1251"))
    run_due(app, redis_conn)
    assert health(app, source).consecutive_failures == 0
    with app.app_context():
        texts = sorted(db.session.scalars(db.select(Incident.text).where(Incident.source == "Кодировка")))
    assert texts == ["Не горит фонарь у дома 1", "Не горит фонарь у дома 2"]


def test_duplicate_keys_in_one_answer_store_one_incident(app, redis_conn, feed):
    items = contract_items("dup", 2)
    newer = dict(items[0], text="Яма у дома 1: уже две ямы", updated_at=items[1]["created_at"])
    feed.routes["/dupes"] = (200, document([items[0], items[1], newer]))
    source = add_source(app, "Дубли", feed.url("/dupes"))
    run_due(app, redis_conn)
    assert health(app, source).consecutive_failures == 0
    assert sorted(stored(app, "Дубли")) == ["dup-1", "dup-2"]
    with app.app_context():
        text = db.session.scalar(db.select(Incident.text).where(Incident.external_id == "dup-1"))
    assert text == "Яма у дома 1: уже две ямы"


def test_one_bad_record_among_good_ones_is_reported_by_row(app, redis_conn, feed):
    items = contract_items("row", 3)
    del items[1]["created_at"]
    feed.routes["/rows"] = (200, document(items))
    source = add_source(app, "Строки", feed.url("/rows"))
    run_due(app, redis_conn)
    assert sorted(stored(app, "Строки")) == ["row-1", "row-3"]
    state = health(app, source)
    assert state.consecutive_failures == 0 and state.last_success_at is not None
    assert "ошибками: 1" in state.last_error


@pytest.mark.parametrize("raw", [True, False], ids=["sqlite3's own error", "through SQLAlchemy"])
def test_a_page_refused_on_a_stale_sqlite_snapshot_is_stored_again_at_once(app, redis_conn, feed, monkeypatch, raw):
    """With heads moving cards, SQLite refuses the poll's write when a move committed after the poll's transaction
    first read (at once, without its busy wait): the page already fetched is stored again, not left to the next
    interval."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from mcu.sources import polling

    real, refused = polling.upsert_incidents, []

    def refused_once(*args, **kwargs):
        if not refused:
            refused.append(True)
            locked = sqlite3.OperationalError("database is locked")  # the bulk insert runs on the raw connection
            raise locked if raw else OperationalError("INSERT INTO incident …", {}, locked)
        return real(*args, **kwargs)

    monkeypatch.setattr(polling, "upsert_incidents", refused_once)
    feed.routes["/stale"] = (200, document(contract_items(f"stale{raw}", 2)))
    source = add_source(app, "Снимок", feed.url("/stale"))
    run_due(app, redis_conn)
    assert refused == [True]
    assert sorted(stored(app, "Снимок")) == [f"stale{raw}-1", f"stale{raw}-2"]
    assert health(app, source).consecutive_failures == 0
