"""One malformed item never costs its page: whatever is wrong with it (a date out of range, NaN, an object
where a text belongs, an id that is a list or too long, a value the database would refuse) is that item's row
error in Russian on the source's health, the good items beside it are stored and the cursor moves on. The same
for Open311 XML and for a row of an imported file."""
import io
import json

import pytest
from conftest import csrf_from
from feedtools import FeedServer, contract_items, document
from sqlalchemy import select
from test_feed_faults import add_source, health, run_due, stored

from mcu.extensions import db
from mcu.feeds import ingest, values
from mcu.models import Incident

HEALTH = "Опрос прошёл, но записей с ошибками: 1. Первая: запись {row}: {message}"
RANGE = "дата вне допустимого диапазона (1970–2099 гг.)"
# bad kind -> (what the second of four items carries, the row as the health names it, the message)
BAD_ITEMS = {
    "year 1 at +10:00": ({"created_at": "0001-01-01T00:00:00+10:00"}, "2 (bad-2)",
                         f"дата поступления: {RANGE}: «0001-01-01T00:00:00+10:00»"),
    "created_at 1e20": ({"created_at": 1e20}, "2 (bad-2)", f"дата поступления: {RANGE}: «1e+20»"),
    "created_at -1e20": ({"created_at": -1e20}, "2 (bad-2)", f"дата поступления: {RANGE}: «-1e+20»"),
    "created_at NaN": ({"created_at": float("nan")}, "2 (bad-2)", "дата поступления: дата — не число (NaN)"),
    "created_at Infinity": ({"created_at": float("inf")}, "2 (bad-2)", f"дата поступления: {RANGE}: «inf»"),
    "an object for the text": ({"text": {"ru": "Яма", "html": "<b>Яма</b>"}}, "2 (bad-2)",
                               "«text»: объект вместо текста"),
    "a list for the id": ({"id": ["bad", 2]}, "2", "«id»: идентификатор — список, а не строка или целое число"),
    "a 401-digit id": ({"id": 10 ** 400}, "1" + "0" * 59, "идентификатор длиннее 200 символов"),
}


@pytest.fixture(scope="module")
def feed():
    server = FeedServer()
    yield server
    server.close()


def page_with(bad: dict) -> list[dict]:
    """Three good items of the contract and, second, one made bad."""
    items = contract_items("bad", 4)
    items[1].update(bad)
    return items


@pytest.mark.parametrize("kind", list(BAD_ITEMS))
def test_a_bad_item_is_its_row_error_and_its_page_is_stored(app, client, auth, make, redis_conn, feed, kind):
    bad, row, message = BAD_ITEMS[kind]
    feed.routes["/rows"] = (200, document(page_with(bad), cursor="after-page-1"))
    source = add_source(app, "Лента", feed.url("/rows"))

    run_due(app, redis_conn)

    assert sorted(stored(app, "Лента")) == ["bad-1", "bad-3", "bad-4"]
    state = health(app, source)
    assert state.cursor == "after-page-1"
    assert state.consecutive_failures == 0 and state.last_success_at is not None
    assert state.last_error == HEALTH.format(row=row, message=message)
    auth.as_role(make, "admin")
    assert message in client.get("/sources/").get_data(as_text=True).replace("&#34;", '"')


def test_values_the_database_would_refuse_are_fitted_and_the_batch_is_stored(app, redis_conn, feed):
    items = contract_items("fit", 4)
    items[0]["text"] = "Яма \ud800 у дома"  # a lone surrogate: valid JSON, no database stores it as UTF-8
    items[1]["author"] = "Очень длинное имя " * 40  # 720 characters for a 300-character column
    items[2]["address"] = "ул. Ленина, " + "5" * 600  # past the 500 characters of the column
    items[3]["lat"], items[3]["lon"] = 1e308 * 10, 135.0  # Infinity: no place on earth
    body = json.dumps({"items": items, "next_cursor": "fit-2"}).encode()  # ASCII: the surrogate as \ud800
    feed.routes["/fit"] = (200, body)
    source = add_source(app, "Подгонка", feed.url("/fit"))

    run_due(app, redis_conn)

    state = health(app, source)
    assert (state.consecutive_failures, state.last_error, state.cursor) == (0, "", "fit-2")
    with app.app_context():
        by_id = {i.external_id: i for i in db.session.scalars(select(Incident).where(Incident.source == "Подгонка"))}
        assert sorted(by_id) == ["fit-1", "fit-2", "fit-3", "fit-4"]
        assert by_id["fit-1"].text == "Яма \ufffd у дома"
        assert by_id["fit-2"].author == ("Очень длинное имя " * 40)[:300].rstrip()
        assert len(by_id["fit-3"].address) == 500
        assert (by_id["fit-4"].lat, by_id["fit-4"].lon) == (None, None)


def test_whatever_an_item_raises_is_its_row_error_in_russian(app, redis_conn, feed, monkeypatch):
    def broken_point(lat, lon, real=values.point):
        if lat == 13:
            raise ZeroDivisionError("division by zero")
        return real(lat, lon)
    monkeypatch.setattr(values, "point", broken_point)
    items = contract_items("odd", 4)
    items[2]["lat"], items[2]["lon"] = 13, 135
    feed.routes["/odd"] = (200, document(items, cursor="odd-2"))
    source = add_source(app, "Странная", feed.url("/odd"))

    run_due(app, redis_conn)

    assert sorted(stored(app, "Странная")) == ["odd-1", "odd-2", "odd-4"]
    state = health(app, source)
    assert (state.consecutive_failures, state.cursor) == (0, "odd-2")
    assert state.last_error == HEALTH.format(
        row="3 (odd-3)", message="запись не удалось разобрать: поле неожиданного вида (подробности в журнале)")


def test_whatever_a_record_raises_before_the_write_is_its_row_error(app, redis_conn, feed, monkeypatch):
    def broken_hash(rec, raw, real=ingest.content_hash):
        if rec.external_id == "late-2":
            raise KeyError("digest")
        return real(rec, raw)
    monkeypatch.setattr(ingest, "content_hash", broken_hash)
    feed.routes["/late"] = (200, document(contract_items("late", 3), cursor="late-2"))
    source = add_source(app, "Поздняя", feed.url("/late"))

    run_due(app, redis_conn)

    assert sorted(stored(app, "Поздняя")) == ["late-1", "late-3"]
    state = health(app, source)
    assert (state.consecutive_failures, state.cursor) == (0, "late-2")
    assert state.last_error == HEALTH.format(
        row="late-2", message="запись не удалось подготовить к сохранению (подробности в журнале)")


REQUEST = ("<request><service_request_id>{id}</service_request_id><status>open</status>"
           "<service_name>Pothole</service_name><description>{text}</description>"
           "<requested_datetime>{at}</requested_datetime></request>")
XML_BAD = {
    "year 1 at +10:00": ({"at": "0001-01-01T00:00:00+10:00"},
                         f"requested_datetime: {RANGE}: «0001-01-01T00:00:00+10:00»"),
    "an element where a text belongs": ({"text": "<b>Яма</b>"}, "description: объект вместо текста"),
}


@pytest.mark.parametrize("kind", list(XML_BAD))
def test_open311_xml_bad_request_is_its_row_error_and_the_others_are_stored(app, redis_conn, feed, kind):
    bad, message = XML_BAD[kind]
    requests = [{"id": f"x-{n}", "text": f"Яма номер {n}", "at": "2026-11-30T09:15:00+10:00"} for n in range(1, 5)]
    requests[1].update(bad)
    body = '<?xml version="1.0" encoding="utf-8"?><service_requests>' + "".join(
        REQUEST.format(**r) for r in requests) + "</service_requests>"
    path = f"/xml-{kind.replace(' ', '-')}/requests.xml"
    feed.routes[path] = (200, body.encode())
    source = add_source(app, "Open311 XML", feed.url(path.removesuffix("/requests.xml")), kind="open311",
                        mapping={"format": "xml"})

    run_due(app, redis_conn)

    assert sorted(stored(app, "Open311 XML")) == ["x-1", "x-3", "x-4"]
    state = health(app, source)
    assert state.consecutive_failures == 0
    assert state.cursor == "since=2026-11-29T23%3A15%3A00Z"
    assert state.last_error == HEALTH.format(row="2 (x-2)", message=message)


def test_an_import_row_dated_in_the_year_1_is_its_row_error(app, client, auth, make):
    auth.as_role(make, "operator")
    csv = ("ID;Дата поступления;Текст\n"
           "F-1;30.11.2026 09:15;Яма у дома 1\n"
           "F-2;0001-01-01T00:00:00+10:00;Яма у дома 2\n"
           "F-3;30.11.2026 09:17;Яма у дома 3\n"
           "F-4;30.11.2026 09:18;Яма у дома 4\n")
    upload = client.post("/import/", data={"csrf_token": csrf_from(client.get("/import/").get_data(as_text=True)),
                                           "file": (io.BytesIO(csv.encode()), "export.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 303
    preview = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert f"«Дата поступления»: {RANGE}: «0001-01-01T00:00:00+10:00»" in preview
    result = client.post(upload.headers["Location"], data={"csrf_token": csrf_from(preview)}, follow_redirects=True)
    assert "Создано: 3, обновлено: 0, без изменений: 0, строк с ошибками: 1." in result.get_data(as_text=True)
    with app.app_context():
        assert sorted(db.session.scalars(select(Incident.external_id))) == ["F-1", "F-3", "F-4"]


def test_the_raw_record_of_a_stored_item_keeps_its_big_integers(app, redis_conn, feed):
    items = contract_items("big", 2)
    items[0]["views"] = 2 ** 70  # past 64 bits: orjson refuses it, the standard encoder takes it
    feed.routes["/big"] = (200, document(items))
    add_source(app, "Большие", feed.url("/big"))
    run_due(app, redis_conn)
    with app.app_context():
        raw = db.session.scalar(select(Incident.raw).where(Incident.external_id == "big-1"))
    assert raw["views"] == 1180591620717411303424
    assert json.dumps(raw["views"]) == "1180591620717411303424"


JSON_BAD = {
    "year 1 at +10:00": ({"requested_datetime": "0001-01-01T00:00:00+10:00"}, "2 (j-2)",
                         f"requested_datetime: {RANGE}: «0001-01-01T00:00:00+10:00»"),
    "requested_datetime NaN": ({"requested_datetime": float("nan")}, "2 (j-2)",
                               "requested_datetime: дата — не число (NaN)"),
    "a list for the id": ({"service_request_id": ["j", 2]}, "2",
                          "service_request_id: идентификатор — список, а не строка или целое число"),
    "an object for the address": ({"address": {"street": "Ленина"}}, "2 (j-2)", "address: объект вместо текста"),
}


@pytest.mark.parametrize("kind", list(JSON_BAD))
def test_open311_json_bad_request_is_its_row_error_and_the_others_are_stored(app, redis_conn, feed, kind):
    bad, row, message = JSON_BAD[kind]
    requests = [{"service_request_id": f"j-{n}", "status": "open", "service_name": "Pothole",
                 "description": f"Яма номер {n}", "requested_datetime": "2026-11-30T09:15:00+10:00"}
                for n in range(1, 5)]
    requests[1].update(bad)
    path = f"/json-{kind.replace(' ', '-')}/requests.json"
    feed.routes[path] = (200, json.dumps(requests).encode())
    source = add_source(app, "Open311 JSON", feed.url(path.removesuffix("/requests.json")), kind="open311")

    run_due(app, redis_conn)

    assert sorted(stored(app, "Open311 JSON")) == ["j-1", "j-3", "j-4"]
    state = health(app, source)
    assert state.consecutive_failures == 0 and state.cursor == "since=2026-11-29T23%3A15%3A00Z"
    assert state.last_error == HEALTH.format(row=row, message=message)


def test_an_integer_too_long_to_read_is_that_items_problem_not_the_pages(app, redis_conn, feed):
    """A 5,000-digit id (Python will not read it as a number): the other items of the page are stored."""
    items = contract_items("long", 3)
    body = json.dumps({"items": items, "next_cursor": "c9", "has_more": False}, ensure_ascii=False)
    body = body.replace('"long-2"', "7" * 5000, 1)
    feed.routes["/long"] = (200, body.encode())
    source = add_source(app, "Длинная", feed.url("/long"))
    run_due(app, redis_conn)
    assert sorted(stored(app, "Длинная")) == ["long-1", "long-3"]
    state = health(app, source)
    assert state.consecutive_failures == 0 and state.cursor == "c9"
    assert "идентификатор длиннее 200 символов" in state.last_error
