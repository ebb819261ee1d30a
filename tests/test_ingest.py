"""Ingestion: idempotent, out-of-order safe, routed, atomic per batch, bad rows reported by row."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.feeds.routing import route
from mcu.lanes import EPOCH_KEY, read_versions
from mcu.models import Event, Incident, RoutingRule, Topic

T0 = datetime(2026, 11, 30, 0, 15, tzinfo=UTC)


def rec(n, **fields) -> Record:
    values = {"external_id": f"im-{n}", "received_at": T0 + timedelta(minutes=n),
              "raw": {"id": f"im-{n}", "text": fields.get("text", f"Сообщение {n}")}, "text": f"Сообщение {n}",
              "author": "Анна К.", "platform": "ВКонтакте", "channel": "im", "topic": "Дороги"}
    values.update(fields)
    return Record(**values)


def state(app):
    """What a person could notice: incidents with their versions, history lines, the lanes' versions."""
    with app.app_context():
        incidents = {r.external_id: (r.version, r.text, r.department_id, r.status) for r in db.session.execute(
            select(Incident.external_id, Incident.version, Incident.text, Incident.department_id, Incident.status))}
        events = db.session.scalar(select(func.count(Event.id)))
        board = {k: v for k, v in read_versions().items() if k != EPOCH_KEY}  # the lanes, not the epoch
        return incidents, events, board


def ingest(app, records, **kw):
    with app.app_context():
        return upsert_incidents(records, kw.pop("source", "cur"), **kw)


def test_new_records_become_routed_incidents_with_deadlines_and_history(app, make):
    """Also: the lanes of the new cards step once each, and no other lane does."""
    result = ingest(app, [rec(1), rec(2, topic="Образование")])
    assert (result.created, result.updated, result.unchanged, result.errors) == (2, 0, 0, [])
    with app.app_context():
        one = db.session.scalar(select(Incident).filter_by(external_id="im-1"))
        assert one.department_id == make.department("Дороги")
        assert one.topic_id == make.topic("Дороги")
        assert one.status == "new" and one.version == 1
        assert one.first_answer_due > one.received_at
        assert one.search_text == "сообщение 1 анна к."
        assert one.raw == {"id": "im-1", "text": "Сообщение 1"}
        assert one.channel.code == "im"
        kinds = db.session.scalars(select(Event.kind).where(Event.incident_id == one.id)).all()
        assert kinds == ["created"]
        two = db.session.scalar(select(Incident).filter_by(external_id="im-2"))
        assert two.department_id == make.department("Образование")
    assert state(app)[2] == {str(make.department("Дороги")): 1, str(make.department("Образование")): 1}


def test_the_same_batch_twice_changes_nothing(app):
    batch = [rec(n) for n in range(1, 6)]
    ingest(app, batch)
    before = state(app)
    result = ingest(app, [rec(n) for n in range(1, 6)])
    assert (result.created, result.updated, result.unchanged) == (0, 0, 5)
    assert state(app) == before


def test_a_changed_record_updates_the_incident_once(app):
    ingest(app, [rec(1), rec(2)])
    _, events, board = state(app)
    result = ingest(app, [rec(1, text="Сообщение 1 (исправлено)", updated_at=T0 + timedelta(hours=1)), rec(2)])
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    incidents, events_after, board_after = state(app)
    assert incidents["im-1"][:2] == (2, "Сообщение 1 (исправлено)")
    assert incidents["im-2"][0] == 1
    lane = next(key for key, version in board.items() if version)  # both cards are in one lane
    assert events_after == events + 1 and board_after == {**board, lane: board[lane] + 1}


def test_an_older_version_never_overwrites_a_newer_one(app):
    ingest(app, [rec(1, text="новое", updated_at=T0 + timedelta(hours=2))])
    before = state(app)
    result = ingest(app, [rec(1, text="старое", updated_at=T0 + timedelta(hours=1))])
    assert result.unchanged == 1 and result.updated == 0
    assert state(app) == before
    assert before[0]["im-1"][1] == "новое"


def test_an_update_moves_the_version_time_so_an_older_one_after_it_is_ignored(app):
    ingest(app, [rec(1, text="первое", updated_at=T0 + timedelta(hours=1))])
    assert ingest(app, [rec(1, text="третье", updated_at=T0 + timedelta(hours=3))]).updated == 1
    before = state(app)
    late = ingest(app, [rec(1, text="второе", updated_at=T0 + timedelta(hours=2))])
    assert (late.updated, late.unchanged) == (0, 1)
    assert state(app) == before and before[0]["im-1"][1] == "третье"


def test_within_one_batch_the_newest_version_wins(app):
    result = ingest(app, [rec(1, text="вторая", updated_at=T0 + timedelta(hours=2)),
                          rec(1, text="первая", updated_at=T0 + timedelta(hours=1))])
    assert result.created == 1
    assert state(app)[0]["im-1"][1] == "вторая"


def test_a_feed_never_reopens_a_card_people_moved(app):
    ingest(app, [rec(1, status="new")])
    department = state(app)[0]["im-1"][2]
    assert department is not None  # routed on create
    with app.app_context():
        db.session.execute(text("UPDATE incident SET status = 'in_progress'"))
        db.session.commit()
    ingest(app, [rec(1, status="new", text="дополнено", updated_at=T0 + timedelta(hours=1))])
    incidents = state(app)[0]
    assert incidents["im-1"][1:] == ("дополнено", department, "in_progress")


def test_status_and_answer_from_the_source_apply_on_create(app):
    ingest(app, [rec(1, status="Ответ дан", answer_text="Яму заделали", answered_at=T0 + timedelta(hours=3))])
    with app.app_context():
        one = db.session.scalar(select(Incident))
        assert one.status == "answered" and one.answer_text == "Яму заделали"
        assert one.answered_at == T0 + timedelta(hours=3)


def test_one_bad_record_among_good_ones_is_reported_by_row(app):
    bad = rec(2)
    bad.external_id = ""
    naive = rec(3, received_at=datetime(2026, 11, 30, 9, 0))
    result = ingest(app, [rec(1), bad, naive, rec(4)])
    assert result.created == 2
    assert [e.row for e in result.errors] == ["2", "im-3"]
    assert "идентификатор" in result.errors[0].message and "дат" in result.errors[1].message
    assert set(state(app)[0]) == {"im-1", "im-4"}


def test_a_failing_batch_leaves_nothing_half_applied(app, monkeypatch):
    import mcu.feeds.ingest as ingest_module

    def explode(*args, **kwargs):
        raise RuntimeError("database gone")

    ingest(app, [rec(1)])
    before = state(app)
    monkeypatch.setattr(ingest_module, "_update", explode)
    try:
        ingest(app, [rec(1, text="изменено"), rec(2)])
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert state(app) == before


def test_keyword_rules_route_what_the_topic_does_not(app, make):
    with app.app_context():
        db.session.add(RoutingRule(keyword="Светофор", department_id=make.department("Транспорт"), position=1))
        db.session.add(RoutingRule(keyword="ЁЛК", department_id=make.department("Благоустройство"),
                                   topic_id=make.topic("Благоустройство"), position=2))
        db.session.commit()
    ingest(app, [rec(1, topic=None, text="Не работает светофор на Ленина"),
                 rec(2, topic="Прочее", text="Когда поставят елку на площади?"),
                 rec(3, topic=None, text="Просто вопрос без ключевых слов"),
                 rec(4, topic="Нет такой тематики", text="Светофор мигает")])
    with app.app_context():
        rows = {r.external_id: (r.department_id, r.topic_id) for r in db.session.execute(
            select(Incident.external_id, Incident.department_id, Incident.topic_id))}
        reasons = dict(db.session.execute(select(Incident.external_id, Event.reason).join(
            Event, Event.incident_id == Incident.id)).all())
    assert rows["im-1"] == (make.department("Транспорт"), None)
    assert rows["im-2"] == (make.department("Благоустройство"), make.topic("Прочее"))
    assert rows["im-3"] == (None, None)  # the «Не распределено» lane
    assert rows["im-4"][0] == make.department("Транспорт")
    assert "Светофор" in reasons["im-1"] and reasons["im-3"].startswith("Не распределено")


def test_a_department_named_by_the_source_wins(app, make):
    ingest(app, [rec(1, department="ЖКХ")])
    assert state(app)[0]["im-1"][2] == make.department("ЖКХ")


def test_route_helper_uses_topic_then_keywords(app, make):
    with app.app_context():
        db.session.add(RoutingRule(keyword="ливнёвка", department_id=make.department("Ливнёвки")))
        topic = db.session.scalar(select(Topic).filter_by(name="Прочее"))
        topic.keywords = "собака, кошка"
        topic.department_id = make.department("Экология")
        db.session.commit()
        assert route("что-то", make.topic("Дороги")) == (make.department("Дороги"), make.topic("Дороги"))
        assert route("Забита ЛИВНЕВКА у дома", None) == (make.department("Ливнёвки"), None)
        assert route("Бродячая собака", None) == (make.department("Экология"), make.topic("Прочее"))
        assert route("Ничего", None) == (None, None)


def test_sources_are_keyed_apart(app):
    ingest(app, [rec(1)], source="a")
    result = ingest(app, [rec(1)], source="b")
    assert result.created == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 2


def test_unknown_channel_gets_the_default_and_keeps_the_raw_value(app):
    ingest(app, [rec(1, channel="Голубиная почта", raw={"channel": "Голубиная почта"}),
                 rec(2, channel="Директ мэра")], default_channel="public")
    with app.app_context():
        rows = dict(db.session.execute(select(Incident.external_id, Incident.channel_id)).all())
        codes = {code: ident for ident, code in db.session.execute(text("SELECT id, code FROM channel"))}
        raw = db.session.scalar(select(Incident.raw).filter_by(external_id="im-1"))
    assert rows == {"im-1": codes["public"], "im-2": codes["direct_mayor"]}
    assert raw == {"channel": "Голубиная почта"}


def test_a_large_batch_is_stored_in_one_go(app):
    result = ingest(app, [rec(n) for n in range(6_000)])  # past every statement-size chunk
    assert result.created == 6_000 and state(app)[1] == 6_000
    again = ingest(app, [rec(n) for n in range(6_000)])
    assert again.unchanged == 6_000 and again.created == 0
    with app.app_context():  # leave a small table: SQLite checks incident.duplicate_of_id per deleted row
        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("PRAGMA foreign_keys=OFF"))
            db.session.execute(text("DELETE FROM event"))
            db.session.execute(text("DELETE FROM incident"))
            db.session.commit()
            db.session.execute(text("PRAGMA foreign_keys=ON"))


def test_a_raw_record_with_python_values_is_stored_as_json_text(app):
    ingest(app, [rec(1, raw={"at": T0})])
    result = ingest(app, [rec(1, raw={"at": T0, "n": 2}, text="изменено")])
    assert result.updated == 1
    with app.app_context():
        assert db.session.scalar(select(Incident.raw)) == {"at": "2026-11-30 00:15:00+00:00", "n": 2}


def test_a_raw_record_past_what_orjson_takes_is_still_stored(app):
    huge = 2 ** 70  # orjson refuses integers past 64 bits; the standard encoder takes them
    result = ingest(app, [rec(1, raw={"id": huge, "at": T0})])
    assert (result.created, result.errors) == (1, [])
    with app.app_context():
        assert db.session.scalar(select(Incident.raw)) == {"id": huge, "at": "2026-11-30 00:15:00+00:00"}
    assert ingest(app, [rec(1, raw={"id": huge, "at": T0})]).unchanged == 1


def test_a_key_another_writer_stored_first_is_not_counted_as_ours(app, monkeypatch):
    """Between the check for stored keys and the insert, another process may store one of them: the insert
    skips it, and neither the count nor the «created» history claims it."""
    from mcu.feeds import bulk

    ingest(app, [rec(1)])
    real = bulk.existing
    monkeypatch.setattr("mcu.feeds.ingest.bulk_existing", lambda source, keys: {
        k: v for k, v in real(source, keys).items() if k != "im-1"})  # the check misses the stored one
    before = state(app)
    result = ingest(app, [rec(1, text="чужая версия"), rec(2)])
    assert result.created == 1
    incidents, events, _board = state(app)
    assert incidents["im-1"] == before[0]["im-1"] and "im-2" in incidents
    assert events == before[1] + 1
