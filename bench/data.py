"""A large, realistic board for benchmarks: 100,000 incidents over a year, a chosen number still open."""
import os
import random
import tempfile
from datetime import UTC, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import insert

from mcu import create_app, demo, reference
from mcu.demo_texts import AUTHORS, STREETS, TEXTS
from mcu.extensions import db
from mcu.models import Channel, Department, Incident, Topic, User
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
