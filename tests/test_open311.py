"""Open311 GeoReport v2 on real servers' documents (../shared/realdata/open311), read leniently."""
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from mcu.extensions import db
from mcu.feeds import map_items, open311
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import FeedError
from mcu.models import Incident

REALDATA = Path(__file__).parents[2] / "shared" / "realdata" / "open311"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real Open311 documents not found at {REALDATA}")


def source(**mapping):
    return SimpleNamespace(kind="open311", url="https://city.example/open311/v2", credentials="",
                           field_mapping=mapping, cursor="")


def real(name: str) -> bytes:
    return (REALDATA / name).read_bytes()


def records_of(body: bytes, src=None):
    src = src or source()
    page = open311.parse(body, src)
    return page, *map_items(page.items, src, open311)


@needs_realdata
def test_bloomington_requests_with_null_and_zero_coordinates():
    page, records, errors = records_of(real("bloomington_requests.json"))
    assert len(records) == 21 and errors == []
    first = records[0]
    assert first.external_id == "4fbd40b2b1fe2c4b02000001"
    assert first.received_at == datetime(2012, 5, 23, 19, 55, 28, tzinfo=UTC)
    assert first.updated_at == datetime(2012, 5, 23, 19, 55, 30, tzinfo=UTC)
    assert "\r" not in first.text and "\n\nThanks." in first.text
    assert (first.lat, first.lon) == (None, None)  # lat/long null
    weeds = next(r for r in records if r.topic == "Weeds")
    assert (weeds.lat, weeds.lon) == (None, None)  # 0,0 is no place
    graffiti = next(r for r in records if r.topic == "Graffiti")
    assert graffiti.lat == pytest.approx(39.146551871103) and graffiti.lon == pytest.approx(-86.485448337464)
    assert sum(r.lat is not None for r in records) == 13
    assert all(r.channel == "open311" and r.raw["service_request_id"] == r.external_id for r in records)
    assert not page.has_more and "since=2012-05-23" in page.next_cursor


@needs_realdata
def test_chicago_requests_without_description_use_the_service_name():
    _page, records, errors = records_of(real("chicago_requests.json"))
    assert errors == [] and [r.text for r in records] == ["Alley Light Out", "Building Violation"]
    assert records[0].address == "1540 W 17TH ST, CHICAGO, IL, 60608"


@needs_realdata
def test_toronto_xml_with_self_closing_elements():
    _page, records, errors = records_of(real("toronto_requests.xml"), source(format="xml"))
    assert errors == [] and len(records) == 2
    one = records[0]
    assert one.external_id == "101005420892" and one.topic == "Road - Pot hole"
    assert one.text == "Road - Pot hole" and one.updated_at is None
    assert one.lat == pytest.approx(43.691104288) and one.lon == pytest.approx(-79.272306875)
    assert one.raw["description"] is None and one.raw["address_id"] == "13459430"


@needs_realdata
def test_services_lists_in_json_and_xml():
    bloomington = open311.parse_services(real("bloomington_services.json"))
    assert len(bloomington) == 46 and {"code": "4e090d24992b941e78000027", "name": "Graffiti",
                                       "group": "Most Popular", "keywords": ""} in bloomington
    giessen = open311.parse_services(real("giessen_services.xml"))
    assert [s["name"] for s in giessen][:2] == ["Abwasser und Wasser", "Ampel defekt"]
    assert giessen[3]["keywords"] == "graffiti, paintings"
    helsinki = open311.parse_services(real("helsinki_services_fi.json"))
    assert helsinki[0]["name"] == "Ilkivalta" and "\t" not in helsinki[0]["keywords"]


@needs_realdata
def test_real_requests_become_incidents_with_topics_mapped_by_the_source(app, make):
    src = source(services={"4e090d24992b941e78000027": "Благоустройство"}, topics={"Weeds": "Благоустройство"})
    _page, records, _errors = records_of(real("bloomington_requests.json"), src)
    with app.app_context():
        result = upsert_incidents(records, "open311:bloomington", default_channel="open311")
        again = upsert_incidents(records_of(real("bloomington_requests.json"), src)[1], "open311:bloomington")
        rows = db.session.execute(select(Incident.external_id, Incident.topic_id, Incident.department_id)).all()
    assert result.created == 21 and again.unchanged == 21
    routed = [r for r in rows if r.topic_id == make.topic("Благоустройство")]
    assert routed and all(r.department_id == make.department("Благоустройство") for r in routed)


def test_lenient_json_single_object_strings_and_capitals():
    body = (b'{"service_request_id": 7, "status": "Closed", "status_notes": "Fixed\\r\\nthanks",'
            b' "service_name": "Pothole", "description": "null", "requested_datetime": "2026-11-30 09:15:00",'
            b' "updated_datetime": "2026-11-30T10:00:00.123456789Z", "lat": "48.48", "lon": "135.07",'
            b' "media_url": "https://img.example/1.jpg"}')
    _page, records, errors = records_of(body, source(timezone="Asia/Vladivostok"))
    assert errors == []
    one = records[0]
    assert one.external_id == "7" and one.text == "Pothole" and one.status == "resolved"
    assert one.received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)
    assert one.answer_text == "Fixed\nthanks" and (one.lat, one.lon) == (48.48, 135.07)
    assert one.url == "https://img.example/1.jpg"


def test_bad_requests_are_row_errors_and_the_good_ones_stay():
    body = (b'[{"service_request_id": "1", "requested_datetime": "2026-11-30T09:00:00+10:00"},'
            b' {"status": "open"}, {"service_request_id": "3", "requested_datetime": "yesterday"}, 5]')
    _page, records, errors = records_of(body)
    assert [r.external_id for r in records] == ["1"]
    assert [e.row for e in errors] == ["2", "3 (3)", "4"]
    assert "service_request_id" in errors[0].message and "дату" in errors[1].message


@pytest.mark.parametrize("body, words", [
    (b'<?xml version="1.0"?><service_requests><request><service_request_id>1</service_request_id>',
     "обрезан"),
    (b"<!DOCTYPE html><html><body>Bad gateway</body></html>", "HTML"),
    (b'[{"code": 403, "description": "Invalid api_key"}]', "Invalid api_key"),
    (b"<errors><error><code>404</code><description>jurisdiction_id not found</description></error></errors>",
     "jurisdiction_id"),
    (b'{"service_requests": [', "JSON"),
    (b"", "пустой"),
])
def test_unreadable_documents_are_feed_errors_in_russian(body, words):
    with pytest.raises(FeedError) as exc:
        open311.parse(body, source())
    assert words in str(exc.value)


def test_paging_continues_while_pages_come_full_then_moves_the_date():
    items = ",".join(f'{{"service_request_id": "{n}", "requested_datetime": "2026-11-30T0{n}:00:00Z"}}'
                     for n in range(3))
    src = source(page_size=3)
    page = open311.parse(f"[{items}]".encode(), src)
    assert page.has_more and open311.read_cursor(page.next_cursor) == {
        "since": None, "page": 2, "max": "2026-11-30T02:00:00Z", "first": "0"}
    src.cursor = page.next_cursor
    last = open311.parse(b'[{"service_request_id": "9", "requested_datetime": "2026-11-29T00:00:00Z"}]', src)
    assert not last.has_more and open311.read_cursor(last.next_cursor)["since"] == "2026-11-30T02:00:00Z"


def test_fetch_sends_the_cursor_date_and_paging(monkeypatch):
    seen = {}

    def fake_get(http, url, params=None, headers=None, **kw):
        seen.update(url=url, params=params)
        return b"[]"

    monkeypatch.setattr(open311.feed_http, "get", fake_get)
    src = source(format="xml", cursor_param="updated_after", jurisdiction_id="city")
    open311.fetch(src, open311.write_cursor("2026-11-30T00:00:00Z", 2), None)
    assert seen["url"] == "https://city.example/open311/v2/requests.xml"
    assert seen["params"] == {"updated_after": "2026-11-30T00:00:00Z", "page": 2, "page_size": 100,
                              "jurisdiction_id": "city"}


def test_a_server_that_ignores_paging_does_not_page_forever():
    items = ",".join(f'{{"service_request_id": "{n}", "requested_datetime": "2026-11-30T0{n}:00:00Z"}}'
                     for n in range(3))
    src = source(page_size=3)
    page = open311.parse(f"[{items}]".encode(), src)
    src.cursor = page.next_cursor
    again = open311.parse(f"[{items}]".encode(), src)  # page 2 answered with page 1
    assert not again.has_more and open311.read_cursor(again.next_cursor)["since"] == "2026-11-30T02:00:00Z"
