"""A message's first public answer is stamped once, with its working minutes since receipt by the city's calendar:
when a head answers (interim or final) over HTTP, when a feed brings an answered message or later reports its
answer, and for messages answered before the stamp existed (the migration's backfill). Minutes worked out by hand
(working day 9-18 in Asia/Vladivostok; 20.02.2021 was a short working Saturday, 9-17)."""
import re

from flask_migrate import upgrade
from reporttools import at, page_tables
from sqlalchemy import text

from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Incident, as_utc


def stamp(app, incident_id) -> tuple:
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        return incident.first_answered_at, incident.first_answer_work_minutes


def answer(client, incident_id, kind, version):
    html = client.get("/board").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    return client.post(f"/incidents/{incident_id}/answer", headers={"X-CSRFToken": token, "HX-Request": "true"},
                       data={"text": "Ответ жителю", "kind": kind, "version": version})


def test_a_heads_first_answer_is_stamped_once_and_read_by_the_report(app, client, auth, make, monkeypatch):
    incident_id = make.incident(received_at=at("11.01.2021 10:00"), first_answer_due=at("12.01.2021 10:00"))
    auth.as_role(make, "head", department="Дороги")
    monkeypatch.setattr("mcu.incidents.verbs.utcnow", lambda: at("12.01.2021 11:00"))
    assert answer(client, incident_id, "interim", 1).status_code == 200
    # Monday 10:00-18:00 is 8 h, Tuesday 9:00-11:00 is 2 h
    assert stamp(app, incident_id) == (at("12.01.2021 11:00"), 600)
    monkeypatch.setattr("mcu.incidents.verbs.utcnow", lambda: at("13.01.2021 12:00"))
    assert answer(client, incident_id, "final", 2).status_code == 200
    assert stamp(app, incident_id) == (at("12.01.2021 11:00"), 600)
    tables, _paragraph = page_tables(client.get("/reports?year=2021").get_data(as_text=True))
    assert tables["departments"][1] == ["Дороги", "1", "1", "0", "0,0%", "10,0", "0", "0", "1", "0,0"]


def test_an_answer_after_a_return_keeps_the_first_one(app, client, auth, make, monkeypatch):
    incident_id = make.incident(received_at=at("11.01.2021 10:00"))
    auth.as_role(make, "admin")
    monkeypatch.setattr("mcu.incidents.verbs.utcnow", lambda: at("11.01.2021 10:30"))
    assert answer(client, incident_id, "final", 1).status_code == 200
    html = client.get("/board").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    monkeypatch.setattr("mcu.incidents.verbs.utcnow", lambda: at("14.01.2021 10:30"))
    client.post(f"/incidents/{incident_id}/move", headers={"X-CSRFToken": token, "HX-Request": "true"},
                data={"to_status": "returned", "text": "Ответ неполный", "version": 2})
    assert answer(client, incident_id, "final", 3).status_code == 200
    assert stamp(app, incident_id) == (at("11.01.2021 10:30"), 30)


def test_ingestion_stamps_an_answered_message_by_the_production_calendar(app):
    received, answered = at("19.02.2021 17:00"), at("20.02.2021 12:00")
    with app.app_context():
        upsert_incidents([Record("A-1", received, {"id": "A-1"}, text="Яма", status="answered", answer_text="Да",
                                 answered_at=answered),
                          Record("A-2", received, {"id": "A-2"}, text="Яма")], "cur")
        rows = dict(db.session.execute(db.select(Incident.external_id, Incident.first_answer_work_minutes)).all())
        first = db.session.scalar(db.select(Incident.first_answered_at).filter_by(external_id="A-1"))
    # Friday 17:00-18:00 is 1 h; the working Saturday 20.02 is short (9-17): 9:00-12:00 is 3 h
    assert rows == {"A-1": 240, "A-2": None}
    assert first == answered


def test_an_answer_a_feed_reports_later_is_stamped_once(app):
    received = at("11.01.2021 10:00")
    with app.app_context():
        upsert_incidents([Record("B-1", received, {"id": "B-1"}, text="Яма", updated_at=received)], "cur")
        upsert_incidents([Record("B-1", received, {"id": "B-1", "v": 2}, text="Яма", answer_text="Отремонтируем",
                                 answered_at=at("11.01.2021 15:00"), updated_at=at("11.01.2021 15:00"))], "cur")
        upsert_incidents([Record("B-1", received, {"id": "B-1", "v": 3}, text="Яма", answer_text="Отремонтировали",
                                 answered_at=at("20.01.2021 15:00"), updated_at=at("20.01.2021 15:00"))], "cur")
        found = db.session.execute(db.select(Incident.first_answered_at, Incident.first_answer_work_minutes)).one()
    assert tuple(found) == (at("11.01.2021 15:00"), 300)


def test_the_migration_stamps_messages_answered_before_it(empty_app):
    """From the history where there is one (an interim answer before the final one), else from answered_at."""
    directory = empty_app.extensions["migrate"].directory
    with empty_app.app_context():
        upgrade(directory=directory, revision="0004_cell_index")
        rows = [  # id, received, answered_at (naive UTC as stored)
            (1, "2021-01-11 00:00:00", "2021-01-13 02:00:00"),  # 11.01 10:00 local; final 13.01 12:00
            (2, "2021-02-19 07:00:00", "2021-02-20 02:00:00"),  # 19.02 17:00 local; imported, answered 20.02 12:00
            (3, "2021-01-11 00:00:00", None),  # never answered
        ]
        for ident, received, answered in rows:
            db.session.execute(text(
                "INSERT INTO incident (id, source, external_id, content_hash, platform, author, text, url, address, "
                "search_text, status, received_at, answered_at, answer_text, reason, version, position, urgent, "
                "created_at, updated_at) VALUES (:id, 'test', :key, '', '', '', '', '', '', '', 'answered', "
                ":received, :answered, '', '', 1, 0, false, :received, :received)"),
                {"id": ident, "key": f"k{ident}", "received": received, "answered": answered})
        db.session.execute(text(  # the interim answer on 12.01 11:00 local, then the final one
            "INSERT INTO event (incident_id, kind, from_value, to_value, reason, created_at) VALUES "
            "(1, 'interim', '', 'Промежуточный', '', '2021-01-12 01:00:00'), "
            "(1, 'answer', '', 'Окончательный', '', '2021-01-13 02:00:00')"))
        db.session.commit()
        upgrade(directory=directory)
        found = {row[0]: (as_utc(row[1]), row[2]) for row in db.session.execute(text(
            "SELECT id, first_answered_at, first_answer_work_minutes FROM incident ORDER BY id"))}
    assert found == {1: (at("12.01.2021 11:00"), 600), 2: (at("20.02.2021 12:00"), 240), 3: (None, None)}
