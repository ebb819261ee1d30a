"""A large, realistic board for benchmarks: 100,000 incidents over a year, a chosen number still open."""
import os
import random
import tempfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_migrate import upgrade
from sqlalchemy import insert, update

from mcu import create_app, demo, reference
from mcu.deadlines import first_answer_deadlines, first_answer_stamp
from mcu.demo_texts import AUTHORS, STREETS, TEXTS
from mcu.extensions import db
from mcu.models import Channel, Department, Event, Incident, Topic, User
from mcu.search import search_columns
from mcu.workflow import OPEN_STATUSES


def make_app(url: str | None = None):
    """An app on a fresh database (a temporary SQLite file unless a URL is given)."""
    if url is None:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="mcu-bench-"), "bench.sqlite")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": url, "DEMO": False,
                      "SECURE_COOKIES": False, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        reference.ensure()
        demo.ensure_users()
    return app


def fill(app, total: int = 100_000, open_count: int = 2_000, seed: int = 7) -> None:
    """Insert `total` incidents, `open_count` of them open, the rest solved over the past year."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with app.app_context():
        deps = list(db.session.scalars(db.select(Department.id)))
        topics = list(db.session.execute(db.select(Topic.id, Topic.name, Topic.department_id)))
        channels = list(db.session.scalars(db.select(Channel.id)))
        field_users = list(db.session.scalars(db.select(User.id).filter_by(role="field")))
        rows = []
        for i in range(total):
            topic_id, topic_name, dep = rng.choice(topics)
            text = rng.choice(TEXTS[topic_name]).format(street=rng.choice(STREETS), street2=rng.choice(STREETS),
                                                        house=rng.randint(1, 120), route=rng.randint(1, 80),
                                                        school=rng.randint(1, 88))
            author = rng.choice(AUTHORS)
            is_open = i < open_count
            status = rng.choice(OPEN_STATUSES) if is_open else "resolved"
            received = now - timedelta(hours=rng.uniform(0.1, 72 if is_open else 24 * 365))
            resolved = None if is_open else min(now, received + timedelta(hours=rng.uniform(2, 96)))
            rows.append({
                "source": "bench", "external_id": str(i), "raw": None, "content_hash": "",
                "channel_id": rng.choice(channels), "platform": "ВКонтакте", "author": author, "text": text,
                "url": f"https://vk.com/wall-1_{i}", "address": "", **search_columns(text, author, ""),
                "topic_id": topic_id, "department_id": dep or rng.choice(deps), "status": status,
                "assignee_id": rng.choice(field_users) if is_open and rng.random() < 0.4 else None,
                "received_at": received, "first_answer_due": received + timedelta(hours=9),
                "resolve_due": None, "resolved_at": resolved, "answered_at": resolved, "answer_text": "",
                "reason": "", "version": 1, "position": 0, "urgent": rng.random() < 0.03,
                "created_at": received, "updated_at": received,
            })
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Incident), rows[start:start + 5000])
        db.session.commit()
        settle(app)


def settle(app, tables=("incident",)) -> None:
    """As autovacuum does after a bulk load on PostgreSQL (statistics, the visibility map), before anything is
    measured: a table loaded a moment ago has none, and the planner then picks the wrong index (the live bench's
    lane counts took 20 ms a lane for 1 ms)."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for table in tables:
                    connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


def fill_year(app, year: int, total: int = 100_000, seed: int = 17) -> None:
    """`total` messages received over the calendar `year` in the city, as the seed report's year looks: the
    channels' mix (Инцидент-менеджмент 8,238 of 14,827), the topics' shares, nearly all answered (each first
    answer stamped with its working minutes, as the verbs and ingestion do), one in thirty returned for revision
    once, one in a hundred marked a duplicate; plus a «created» history line each."""
    rng = random.Random(seed)
    with app.app_context():
        tz = ZoneInfo(app.config["TIMEZONE"])
        stamp = first_answer_stamp(app.config, tz)
        due = first_answer_deadlines(app.config, tz)
        topics = {name: (ident, dep) for ident, name, dep in db.session.execute(
            db.select(Topic.id, Topic.name, Topic.department_id))}
        weights = [share for _name, _short, share in reference.TOPICS]
        names = [name for name, _short, _share in reference.TOPICS]
        channels = dict(db.session.execute(db.select(Channel.code, Channel.id)).all())
        outside = [code for code, _name, in_im in reference.CHANNELS if not in_im and code not in ("open311", "manual")]
        deps = list(db.session.scalars(db.select(Department.id)))
        start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
        seconds = (datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC) - start).total_seconds()
        rows, returned = [], []
        for i in range(total):
            topic_id, dep = topics[rng.choices(names, weights)[0]]
            code = "im" if rng.random() < 8238 / 14827 else rng.choice(outside)
            received = start + timedelta(seconds=rng.uniform(0, seconds))
            urgent = rng.random() < 0.03
            answered = received + timedelta(hours=rng.expovariate(1 / 6)) if rng.random() < 0.97 else None
            status = ("resolved" if rng.random() < 0.8 else "answered") if answered else rng.choice(OPEN_STATUSES)
            row = {
                "source": "bench-year", "external_id": str(i), "raw": None, "content_hash": "",
                "channel_id": channels[code], "platform": "ВКонтакте", "author": "", "text": "", "url": "",
                "address": "", "search_text": "", "topic_id": topic_id, "department_id": dep or rng.choice(deps),
                "status": status, "received_at": received, "first_answer_due": due(received, urgent),
                "resolve_due": None, "answered_at": answered, "resolved_at": answered if status == "resolved" else None,
                "answer_text": "", "reason": "", "version": 1, "position": 0, "urgent": urgent,
                "created_at": received, "updated_at": received, "first_answered_at": None,
                "first_answer_work_minutes": None,
            }
            if answered is not None:
                row.update(stamp(received, answered))
            rows.append(row)
            if answered is not None and rng.random() < 1 / 30:
                returned.append((i, answered))
        for start_row in range(0, len(rows), 5000):
            db.session.execute(insert(Incident), rows[start_row:start_row + 5000])
        ids = dict(db.session.execute(db.select(Incident.external_id, Incident.id)
                                      .where(Incident.source == "bench-year")).all())
        events = [{"incident_id": ids[str(i)], "kind": "created", "from_value": "", "to_value": "new", "reason": "",
                   "created_at": row["received_at"]} for i, row in enumerate(rows)]
        events += [{"incident_id": ids[str(i)], "kind": "status", "from_value": "answered", "to_value": "returned",
                    "reason": "Ответ неполный", "created_at": answered + timedelta(hours=2)} for i, answered in returned]
        for start_row in range(0, len(events), 5000):
            db.session.execute(insert(Event), events[start_row:start_row + 5000])
        some = sorted(ids.values())[::100]
        db.session.execute(update(Incident).where(Incident.id.in_(some[1:]))
                           .values(duplicate_of_id=some[0], status="rejected"))
        db.session.commit()


def on_both_databases(report, measure, part: str) -> None:
    """``measure(report, app, label)`` on SQLite, then on an emptied PostgreSQL schema when MCU_BENCH_DATABASE_URL
    (or MCU_TEST_DATABASE_URL) names one."""
    measure(report, make_app(), "sqlite")
    url = os.environ.get("MCU_BENCH_DATABASE_URL") or os.environ.get("MCU_TEST_DATABASE_URL")
    if url:
        from tests.conftest import reset_schema  # an empty schema, as the tests start from
        reset_schema(url)
        measure(report, make_app(url), "postgresql")
    else:
        print(f"# {part} on PostgreSQL skipped: set MCU_BENCH_DATABASE_URL or MCU_TEST_DATABASE_URL", flush=True)
