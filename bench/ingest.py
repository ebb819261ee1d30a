"""Ingestion: upsert with routing of a 10,000-record batch, against a raw executemany of the same rows,
and an unchanged re-ingestion; on SQLite and, when a URL is given, on PostgreSQL."""
import os
import random
import time
from datetime import UTC, datetime, timedelta

from mcu.demo_texts import AUTHORS, STREETS, TEXTS
from mcu.extensions import db
from mcu.feeds import ingest as ingest_module
from mcu.feeds.bulk import INCIDENT_COLUMNS, insert_incidents
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Department, RoutingRule

from .data import make_app

BATCH = 10_000
REPEATS = 3  # best of three: the machine is shared and its disk's flush times vary


def records(now: datetime, n: int = BATCH, seed: int = 11, html: bool = False) -> list[Record]:
    """A realistic batch: the demo texts and topics, a few without a topic (routed by keyword or not at all);
    with `html`, every text as a feed sends it in HTML (paragraphs, a <br>, no-break spaces)."""
    rng = random.Random(seed)
    topics = list(TEXTS)
    out = []
    for i in range(n):
        topic = rng.choice(topics)
        body = rng.choice(TEXTS[topic]).format(street=rng.choice(STREETS), street2=rng.choice(STREETS),
                                               house=rng.randint(1, 120), route=rng.randint(1, 80),
                                               school=rng.randint(1, 88))
        author, received = rng.choice(AUTHORS), now - timedelta(minutes=rng.randint(1, 5000))
        topic = None if rng.random() < 0.1 else topic
        if html:
            body = f"<p>{body.replace(' ', '&nbsp;', 2)}</p><p>Адрес:<br>{rng.choice(STREETS)}</p>"
        raw = {"id": f"IM-{i}", "created_at": received.isoformat(), "text": body, "author": author,
               "topic": topic, "channel": "im", "platform": "ВКонтакте"}
        out.append(Record(external_id=f"IM-{i}", received_at=received, raw=raw, text=body, author=author,
                          platform="ВКонтакте", url=f"https://vk.com/wall-1_{i}", channel="im", topic=topic,
                          updated_at=received))
    return out


def _raw_executemany(app, rows: list[tuple], source: str) -> float:
    """The floor: the very incident rows the ingestion stored, through one plain DB-API executemany."""
    names = ", ".join(f'"{name}"' for name, _kind in INCIDENT_COLUMNS)
    rows = [(source, *row[1:]) for row in rows]
    with app.app_context():
        connection = db.session.connection().connection.driver_connection
        mark = "%s" if db.engine.dialect.name == "postgresql" else "?"
        sql = f"INSERT INTO incident ({names}) VALUES ({', '.join([mark] * len(INCIDENT_COLUMNS))})"
        cursor = connection.cursor()
        start = time.perf_counter()
        cursor.executemany(sql, rows)
        db.session.commit()
        return time.perf_counter() - start


def _measure(report, app, label: str) -> None:
    with app.app_context():
        deps = db.session.scalars(db.select(Department.id)).all()
        for n, word in enumerate(("светофор", "автобус", "мусор", "школ", "освещен", "ливнев", "собак")):
            db.session.add(RoutingRule(keyword=word, department_id=deps[n % len(deps)], position=n))
        db.session.commit()
    now = datetime.now(UTC)
    first_s = second_s = raw_s = html_s = float("inf")
    for run_number in range(REPEATS):  # best of a few: the machine is shared
        source = f"bench-ingest-{run_number}"
        captured = []

        def capture(rows, *args, captured=captured):
            captured.extend(rows)
            return insert_incidents(rows, *args)

        batch = records(now)
        ingest_module.insert_incidents = capture
        try:
            with app.app_context():
                start = time.perf_counter()
                first = upsert_incidents(batch, source)
                first_s = min(first_s, time.perf_counter() - start)
                assert first.created == BATCH, first
        finally:
            ingest_module.insert_incidents = insert_incidents
        again = records(now)
        with app.app_context():
            start = time.perf_counter()
            second = upsert_incidents(again, source)
            second_s = min(second_s, time.perf_counter() - start)
            assert second.unchanged == BATCH, second
        raw_s = min(raw_s, _raw_executemany(app, captured, f"raw-{run_number}"))
    for run_number in range(REPEATS):  # after the others, so that they run on the same table as before
        with app.app_context():
            start = time.perf_counter()
            assert upsert_incidents(records(now, html=True), f"bench-html-{run_number}").created == BATCH
            html_s = min(html_s, time.perf_counter() - start)
    report(f"ingest_{label}_10k_records_per_s", BATCH / first_s, "records/s")
    report(f"ingest_{label}_time_vs_raw_executemany", first_s / raw_s, "x")
    report(f"ingest_{label}_unchanged_records_per_s", BATCH / second_s, "records/s")
    report(f"ingest_{label}_unchanged_speedup", first_s / second_s, "x")
    report(f"ingest_{label}_html_10k_records_per_s", BATCH / html_s, "records/s")


def run(report) -> None:
    _measure(report, make_app(), "sqlite")
    url = os.environ.get("MCU_BENCH_DATABASE_URL") or os.environ.get("MCU_TEST_DATABASE_URL")
    if url:
        from tests.conftest import (
            reset_schema,  # an empty schema, as the tests start from
        )
        reset_schema(url)
        _measure(report, make_app(url), "postgresql")
    else:
        print("# ingest on PostgreSQL skipped: set MCU_BENCH_DATABASE_URL or MCU_TEST_DATABASE_URL", flush=True)
