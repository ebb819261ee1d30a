"""Citizens' messages that arrive as HTML (<p>, <br>, &nbsp;) read as plain lines on the board and are found
by their words; the raw record keeps the markup as it came; a script inside is dropped and never runs; text
without markup is left alone; incidents stored before this are converted by `flask feeds retext`."""
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_from
from feedtools import FeedServer, contract_items, document
from lxml import etree
from sqlalchemy import select
from test_feed_faults import add_source, run_due

from mcu import text as text_module
from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.lanes import read_versions
from mcu.models import Event, Incident
from mcu.text import _CHARACTERS, clean_text

POTHOLE = "<p>Яма&nbsp;на дороге</p><p>ул. Ленина,&nbsp;5<br>подъезд 2</p>"
POTHOLE_LINES = "Яма на дороге\nул. Ленина, 5\nподъезд 2"


@pytest.fixture(scope="module")
def feed():
    server = FeedServer()
    yield server
    server.close()


def incident(app, external_id) -> Incident:
    with app.app_context():
        found = db.session.scalar(select(Incident).where(Incident.external_id == external_id))
        db.session.expunge(found)
        return found


def test_a_cur_message_in_html_reads_as_plain_lines_and_is_found_by_its_words(app, client, auth, make, redis_conn,
                                                                               feed):
    items = contract_items("html", 2)
    items[0].update(text=POTHOLE, author="<b>Анна&nbsp;К.</b>", address="ул.&nbsp;Ленина,&nbsp;5",
                    answer={"text": "<p>Заявка&nbsp;принята</p>", "at": items[0]["created_at"]})
    items[1]["text"] = "Не горит фонарь во дворе"
    feed.routes["/html"] = (200, document(items))
    add_source(app, "ЦУР", feed.url("/html"))

    run_due(app, redis_conn)

    pothole = incident(app, "html-1")
    assert (pothole.text, pothole.author, pothole.address) == (POTHOLE_LINES, "Анна К.", "ул. Ленина, 5")
    assert pothole.answer_text == "Заявка принята"
    assert pothole.raw["text"] == POTHOLE and pothole.raw["author"] == "<b>Анна&nbsp;К.</b>"
    auth.as_role(make, "operator")
    page = client.get(f"/incidents/{pothole.id}").get_data(as_text=True)
    assert f'<p class="message">{POTHOLE_LINES}</p>' in page
    assert '<p class="message">Заявка принята</p>' in page
    assert "<dd>Анна К.</dd>" in page and "<dd>ул. Ленина, 5</dd>" in page
    assert "&lt;p&gt;" not in page and "nbsp" not in page and "&lt;b&gt;" not in page
    lamp = incident(app, "html-2").id
    for url in ("/board?q=яма на", "/board?q=ЯМА НА дороге", "/incidents/?q=яма на"):
        found = client.get(url).get_data(as_text=True)
        assert f"/incidents/{pothole.id}\"" in found and f"/incidents/{lamp}\"" not in found, url
    assert f"/incidents/{pothole.id}\"" not in client.get("/board?q=nbsp").get_data(as_text=True)

    again = app.test_cli_runner().invoke(args=["feeds", "poll-now", "ЦУР"])  # the same page once more
    assert "created 0, updated 0, unchanged 2" in again.output
    assert incident(app, "html-1").version == 1


def test_a_script_in_a_message_is_dropped_and_escaped_markup_stays_text(app, client, auth, make, redis_conn, feed):
    items = contract_items("xss", 1)
    items[0]["text"] = ("Двор<script>alert(1)</script> не убран <img src=x onerror=alert(3)>"
                        "&lt;script&gt;alert(2)&lt;/script&gt;<style>p{display:none}</style>")
    feed.routes["/xss"] = (200, document(items))
    add_source(app, "ЦУР", feed.url("/xss"))

    run_due(app, redis_conn)

    stored = incident(app, "xss-1")
    assert stored.text == "Двор не убран <script>alert(2)</script>"
    auth.as_role(make, "operator")
    for url in (f"/incidents/{stored.id}", "/board", "/incidents/"):
        page = client.get(url).get_data(as_text=True)
        assert "Двор не убран &lt;script&gt;alert(2)&lt;/script&gt;" in page, url
        assert "alert(1)" not in page and "onerror" not in page and "<script>alert" not in page, url
        assert "display:none" not in page, url


def test_an_open311_description_with_an_entity_reads_as_its_character(app, client, auth, make, redis_conn, feed):
    requests = [{"service_request_id": "o-1", "status": "open", "service_name": "Pothole",
                 "description": "Рога &amp; Копыта: яма &laquo;у входа&raquo;",
                 "requested_datetime": "2026-11-30T09:15:00+10:00"}]
    feed.routes["/o311/requests.json"] = (200, json.dumps(requests).encode())
    add_source(app, "Open311", feed.url("/o311"), kind="open311")

    run_due(app, redis_conn)

    stored = incident(app, "o-1")
    assert stored.text == "Рога & Копыта: яма «у входа»"
    assert stored.raw["description"] == "Рога &amp; Копыта: яма &laquo;у входа&raquo;"
    auth.as_role(make, "operator")
    page = client.get(f"/incidents/{stored.id}").get_data(as_text=True)
    assert '<p class="message">Рога &amp; Копыта: яма «у входа»</p>' in page
    assert "&amp;amp;" not in page and "laquo" not in page


def test_an_imported_row_with_br_becomes_lines(app, client, auth, make):
    auth.as_role(make, "operator")
    csv = ("ID;Дата поступления;Текст;Автор\n"
           "F-1;30.11.2026 09:15;Яма у дома<br>подъезд 2<br/>кв. 7;\"Пётр&nbsp;С.\"\n"  # quoted: «;» inside
           "F-2;30.11.2026 09:16;Температура < 0, а должно быть > 18, и a<b и c>d;Ольга\n"
           "F-3;30.11.2026 09:17;<div>Во дворе:</div>и у подъезда<ul><li>яма</li><li>лужа</li></ul><div><br></div>Фото есть<div>в комментариях</div>;Ия\n")
    upload = client.post("/import/", data={"csrf_token": csrf_from(client.get("/import/").get_data(as_text=True)),
                                           "file": (io.BytesIO(csv.encode()), "export.csv")},
                         content_type="multipart/form-data")
    preview = client.get(upload.headers["Location"]).get_data(as_text=True)
    result = client.post(upload.headers["Location"], data={"csrf_token": csrf_from(preview)}, follow_redirects=True)
    assert "Создано: 3" in result.get_data(as_text=True)
    lines = incident(app, "F-1")
    assert (lines.text, lines.author) == ("Яма у дома\nподъезд 2\nкв. 7", "Пётр С.")
    assert lines.raw["Текст"] == "Яма у дома<br>подъезд 2<br/>кв. 7"
    assert incident(app, "F-3").text == "Во дворе:\nи у подъезда\nяма\nлужа\n\nФото есть\nв комментариях"
    plain = incident(app, "F-2")  # «<» and «>» that are no markup stay as they are
    assert plain.text == "Температура < 0, а должно быть > 18, и a<b и c>d"
    page = client.get(f"/incidents/{plain.id}").get_data(as_text=True)
    assert '<p class="message">Температура &lt; 0, а должно быть &gt; 18, и a&lt;b и c&gt;d</p>' in page


def test_retext_converts_stored_html_once_and_leaves_typed_text_alone(app, client, auth, make):
    old = make.incident(source="ЦУР", external_id="old-1", text=POTHOLE, author="Анна&nbsp;К.",
                        answer_text="<p>Принято</p>", raw={"id": "old-1", "text": POTHOLE})
    typed = make.incident(source="manual", external_id="m-1", text="Вставлено из письма: <p>яма</p>")
    plain = make.incident(source="ЦУР", external_id="old-2", text="Не горит фонарь")
    auth.as_role(make, "operator")  # a user made and signed in steps @people: read the versions after it
    with app.app_context():
        board_before = read_versions()
    # the words of «Яма&nbsp;на» are not next to each other until the text is plain
    assert f"/incidents/{old}\"" not in client.get('/board?q="яма на"').get_data(as_text=True)

    first = app.test_cli_runner().invoke(args=["feeds", "retext", "--batch", "2"])
    assert first.exit_code == 0, first.output
    assert first.output == "Просмотрено сообщений: 2, переведено в обычный текст: 1\n"

    with app.app_context():
        converted = db.session.get(Incident, old)
        assert (converted.text, converted.author, converted.answer_text) == (POTHOLE_LINES, "Анна К.", "Принято")
        assert converted.version == 2 and converted.raw == {"id": "old-1", "text": POTHOLE}
        assert converted.search_text == "яма на дороге ул. ленина, 5 подъезд 2 анна к."
        assert db.session.scalars(select(Event.reason).where(Event.incident_id == old)).all() == [
            "текст источника переведён из HTML в обычный текст"]
        assert db.session.get(Incident, typed).text == "Вставлено из письма: <p>яма</p>"
        assert db.session.get(Incident, typed).version == 1 and db.session.get(Incident, plain).version == 1
        lane = str(make.department("Дороги"))  # the factory's lane steps once for the batch
        assert read_versions() == {**board_before, lane: board_before.get(lane, 0) + 1}
    assert f"/incidents/{old}\"" in client.get('/board?q="яма на"').get_data(as_text=True)
    again = app.test_cli_runner().invoke(args=["feeds", "retext"])
    assert again.output == "Просмотрено сообщений: 2, переведено в обычный текст: 0\n"


def test_every_character_cleaning_changes_is_one_a_printable_scan_stops_at():
    """needs_cleaning() skips the regular expression for printable text: that is only right while every
    character that _CHARACTERS changes is one str.isprintable() refuses."""
    assert [hex(c) for c in _CHARACTERS if chr(c).isprintable()] == []
    assert clean_text("до\u00adро\u200bга\ufeff") == "дорога"
    assert clean_text("\u202eтекст\u202c наоборот") == "текст наоборот"


def test_received_dates_of_a_fitted_record_are_checked_like_any_other(app, make):
    """A record fitted for its markup still needs a date in range (fitting does not skip the checks)."""
    with app.app_context():
        result = upsert_incidents([Record(external_id="r-1", received_at=datetime(1969, 12, 31, tzinfo=UTC),
                                          raw={}, text="<p>Яма</p>"),
                                   Record(external_id="r-2", received_at=datetime.now(UTC) - timedelta(hours=1),
                                          raw={}, text="<p>Яма</p>")], "ЦУР")
    assert result.created == 1
    assert [(e.row, e.message) for e in result.errors] == [
        ("r-1", "дата поступления вне допустимого диапазона (1970–2099 гг.)")]


def test_a_text_the_parser_cannot_read_is_kept_as_it_came(app, client, auth, make, monkeypatch):
    def unreadable(markup):
        raise etree.ParserError("Document is empty")
    monkeypatch.setattr(text_module, "html_to_text", unreadable)
    with app.app_context():
        result = upsert_incidents([Record(external_id="u-1", received_at=datetime.now(UTC) - timedelta(hours=1),
                                          raw={}, text="<p>Яма&nbsp;у дома</p>")], "ЦУР")
    assert (result.created, result.errors) == (1, [])
    stored = incident(app, "u-1")
    assert stored.text == "<p>Яма&nbsp;у дома</p>"
    auth.as_role(make, "operator")
    page = client.get(f"/incidents/{stored.id}").get_data(as_text=True)
    assert '<p class="message">&lt;p&gt;Яма&amp;nbsp;у дома&lt;/p&gt;</p>' in page
