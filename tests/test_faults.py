"""The database down, read-only or full: a Russian 503 with the security headers and Retry-After, for a page
and for an htmx fragment, never a bare English «Internal Server Error»; nothing half-written stays behind."""
import os
import tempfile

import pytest
from conftest import ON_POSTGRES, PASSWORD, csrf_from
from flask_migrate import upgrade
from sqlalchemy import event

from mcu import create_app, reference
from mcu.extensions import db
from mcu.models import Comment, Incident, User

CONFIG = {"TESTING": True, "SECRET_KEY": "test", "DEMO": False, "RATELIMIT_ENABLED": False, "LOOKUPS_TTL": 0,
          "LANE_VERSION_TTL": 0}


def assert_unavailable(response, words: str):
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:300]
    assert words in html
    assert "Internal Server Error" not in html and "Traceback" not in html
    assert response.headers["Retry-After"] == "30"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_database_that_does_not_answer_gets_a_russian_503_page_and_fragment():
    app = create_app({**CONFIG, "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:9/nowhere",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    client = app.test_client()
    with client.session_transaction() as session:  # a signed-in browser whose board needs the database
        session["_user_id"] = "1:nonce"
    assert_unavailable(client.get("/board"), "База данных сейчас недоступна")
    fragment = client.get("/board", headers={"HX-Request": "true"})
    assert_unavailable(fragment, "База данных сейчас недоступна")
    assert "<html" not in fragment.get_data(as_text=True)


@pytest.fixture
def sqlite_app():
    """An app on a SQLite file of its own, migrated, with an operator and a card."""
    if ON_POSTGRES:
        pytest.skip("SQLite-only: read-only and full files are made with SQLite's own switches")
    path = os.path.join(tempfile.mkdtemp(prefix="mcu-faults-"), "faults.sqlite")
    app = create_app({**CONFIG, "DATABASE_URL": "sqlite:///" + path})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        reference.ensure()
        from mcu.auth.passwords import hash_password
        user = User(login="op", name="Оператор", role="admin", password_hash=hash_password(PASSWORD))
        db.session.add(user)
        db.session.flush()
        incident = Incident(source="t", external_id="1", text="Яма", status="new")
        db.session.add(incident)
        db.session.commit()
        app.config["_ids"] = (user.id, incident.id)
    yield app, path
    with app.app_context():
        db.engine.dispose()


def signed_in(app):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": "op", "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client, csrf_from(client.get("/board").get_data(as_text=True))


def test_a_full_database_refuses_the_change_in_russian_and_keeps_what_was_there(sqlite_app):
    app, _path = sqlite_app
    client, token = signed_in(app)
    incident_id = app.config["_ids"][1]
    with app.app_context():
        engine = db.engine
        pages = db.session.execute(db.text("PRAGMA page_count")).scalar()

    @event.listens_for(engine, "connect")
    def full(dbapi_connection, _record):  # the disk has room for nothing more
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    response = client.post(f"/incidents/{incident_id}/comment", data={"text": "Длинный комментарий " * 400},
                           headers={"X-CSRFToken": token})
    assert_unavailable(response, "На сервере закончилось место")
    event.remove(engine, "connect", full)
    engine.dispose()
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Comment.id))) == 0


def test_a_read_only_database_refuses_the_change_in_russian(sqlite_app):
    app, path = sqlite_app
    client, token = signed_in(app)
    incident_id = app.config["_ids"][1]
    with app.app_context():
        db.engine.dispose()
    read_only = create_app({**CONFIG, "DATABASE_URL": f"sqlite:///file:{path}?mode=ro&uri=true"})
    client.application = read_only  # the same browser, the server now on a read-only database
    reader = read_only.test_client()
    reader.set_cookie("session", client.get_cookie("session").value)
    assert reader.get("/board").status_code == 200  # reading still works
    response = reader.post(f"/incidents/{incident_id}/move", data={"version": 1, "to_status": "in_progress"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert_unavailable(response, "только для чтения")
