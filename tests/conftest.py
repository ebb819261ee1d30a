"""Fixtures: app → client → login helper, and factories; the same suite runs on SQLite and PostgreSQL."""
import os
import re
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from mcu import create_app, reference, work_calendar
from mcu.auth.passwords import hash_password
from mcu.extensions import db, forget_process_caches, limiter
from mcu.incidents import verbs as incident_verbs
from mcu.models import Channel, Department, Incident, Topic, User
from mcu.search import search_columns

ON_POSTGRES = os.environ.get("MCU_TEST_DB") == "postgresql"
PASSWORD = "secret-pass-1"


def database_url(tmpdir: str) -> str:
    """The test database: PostgreSQL from MCU_TEST_DATABASE_URL when asked for, else a SQLite file."""
    if ON_POSTGRES:
        url = os.environ.get("MCU_TEST_DATABASE_URL")
        if not url:
            pytest.exit("MCU_TEST_DB=postgresql needs MCU_TEST_DATABASE_URL", 2)
        return url
    return "sqlite:///" + os.path.join(tmpdir, "test.sqlite")


def reset_schema(url: str) -> None:
    """Start PostgreSQL from an empty public schema, so migrations run from nothing."""
    if url.startswith("postgresql"):
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def app():
    """One app per test session with its schema made by the migrations."""
    tmpdir = tempfile.mkdtemp(prefix="mcu-test-")
    url = database_url(tmpdir)
    reset_schema(url)
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "DEMO": False,
                      "SECURE_COOKIES": False, "RATELIMIT_ENABLED": False,
                      "LANE_VERSION_TTL": 0, "LOOKUPS_TTL": 0, "WALL_REDRAW_SECONDS": 0})  # a poll sees a change at once (tests that time it set their own)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
    return app


def tables() -> list[str]:
    """Every table of the models, dependants first: a new table is cleaned without anyone listing it."""
    return [table.name for table in reversed(db.metadata.sorted_tables)]


@pytest.fixture(autouse=True)
def clean_db(app):
    """Every test starts from reference data only, and with no per-process cache of the one session-wide app: a
    cache made while a test had set its own TTL would otherwise outlive the test and hide later tests' writes.
    The working calendars (with their worked-out years and timelines) are made anew too, so each test runs the
    calendar's code instead of reading what an earlier test (or the process mutmut forks from) left behind."""
    forget_process_caches(app)
    work_calendar._calendar.cache_clear()
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables()) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables():
                db.session.execute(text(f'DELETE FROM "{table}"'))
        db.session.commit()
        reference.ensure()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


class Factory:
    """Makes users and incidents the way the app stores them."""

    def __init__(self, app):
        self.app = app
        self.n = 0

    def department(self, short_name="Дороги") -> int:
        with self.app.app_context():
            return db.session.scalar(db.select(Department.id).filter_by(short_name=short_name))

    def topic(self, name="Дороги") -> int:
        with self.app.app_context():
            return db.session.scalar(db.select(Topic.id).filter_by(name=name))

    def channel(self, code="im") -> int:
        with self.app.app_context():
            return db.session.scalar(db.select(Channel.id).filter_by(code=code))

    def user(self, role="operator", department=None, login=None, name=None) -> int:
        self.n += 1
        login = login or f"{role}{self.n}"
        with self.app.app_context():
            user = User(login=login, name=name or f"{role.title()} {self.n}", role=role,
                        department_id=self.department(department) if department else None,
                        password_hash=hash_password(PASSWORD))
            db.session.add(user)
            db.session.commit()
            return user.id

    def incident(self, **fields) -> int:
        self.n += 1
        now = datetime.now(UTC)
        values = {
            "source": "test", "external_id": f"t-{self.n}", "text": f"Яма на дороге номер {self.n}",
            "author": "Житель", "platform": "ВКонтакте", "status": "new",
            "received_at": now - timedelta(hours=1),
        }
        values.update(fields)
        if values["status"] == "answered":  # as the verbs and ingestion write it: the board shows recent answers
            values.setdefault("answered_at", now)
        with self.app.app_context():
            values.setdefault("channel_id", self.channel())
            if "topic_id" not in values:
                values["topic_id"] = self.topic()
            if "department_id" not in values:
                values["department_id"] = self.department()
            values.update(search_columns(values["text"], values.get("author"), values.get("address")))
            incident = Incident(**values)
            db.session.add(incident)
            db.session.commit()
            return incident.id


@pytest.fixture
def make(app):
    return Factory(app)


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Auth:
    """Signs a test client in as a given user."""

    def __init__(self, app, client):
        self.app, self.client = app, client

    def login(self, login: str, password: str = PASSWORD):
        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post("/login", data={"login": login, "password": password, "csrf_token": token})

    def as_role(self, make, role="operator", department=None):
        user_id = make.user(role, department)
        with self.app.app_context():
            login = db.session.get(User, user_id).login
        response = self.login(login)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id


@pytest.fixture
def auth(app, client):
    return Auth(app, client)


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis for the session: MCU_TEST_REDIS_URL when set, else an embedded one."""
    from feedtools import redis_url_for_tests
    url, proc = redis_url_for_tests()
    yield url
    if proc is not None:
        proc.terminate()
        proc.wait()


@pytest.fixture
def redis_conn(app, redis_url, monkeypatch):
    """The test Redis, empty; the app (and the jobs run in this process) use it."""
    from feedtools import flush

    from mcu import jobs
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    monkeypatch.setattr(jobs, "_app", app)
    conn = flush(redis_url)
    yield conn
    conn.flushdb()


@pytest.fixture
def empty_app():
    """An app on an empty database of its own: a new SQLite file, or a new PostgreSQL schema."""
    config = {"TESTING": True, "SECRET_KEY": "test", "DEMO": False, "RATELIMIT_ENABLED": False}
    if not ON_POSTGRES:
        path = os.path.join(tempfile.mkdtemp(prefix="mcu-migrations-"), "empty.sqlite")
        app = create_app({**config, "DATABASE_URL": "sqlite:///" + path})
        yield app
        with app.app_context():
            db.engine.dispose()
        os.remove(path)
        return
    url = os.environ["MCU_TEST_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    schema = "migrations_" + uuid.uuid4().hex[:12]
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    app = create_app({**config, "DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": {
        "pool_pre_ping": True, "connect_args": {"options": f"-csearch_path={schema}"}}})
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def limited(app):
    """A separate app with rate limiting on, counting in memory, on the same database; the shared limiter is
    put back after."""
    was = limiter.enabled
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": app.config["DATABASE_URL"],
                        "DEMO": False, "SECURE_COOKIES": False, "RATELIMIT_ENABLED": True,
                        "RATELIMIT_STORAGE_URI": "memory://"})
    try:
        yield other
    finally:
        limiter.enabled = was


@pytest.fixture
def run(app):
    """Call an incident verb (mcu.incidents.verbs) as a user inside the app, as the views call it; the verbs needing
    settings get the app's and its time zone (tests/verbtools.py reads back what they wrote)."""
    def call(verb, user_id, *args, **kwargs):
        user = db.session.get(User, user_id)
        if verb in (incident_verbs.move_incident, incident_verbs.answer, incident_verbs.enter_manually):
            kwargs.update(cfg=app.config, tz=ZoneInfo(app.config["TIMEZONE"]))
        if verb is incident_verbs.enter_manually:
            return verb(user, *args, **kwargs)
        return verb(args[0], user, *args[1:], **kwargs)
    with app.app_context():
        yield call
