"""An admin maps an Open311 server's services to our topics on a page; polling then files requests by it."""
import json
import re
from pathlib import Path

import pytest
from conftest import csrf_from
from feedtools import FeedServer
from sqlalchemy import select

from mcu.extensions import db
from mcu.models import FeedSource, Incident, Topic
from mcu.sources.polling import poll_once

REALDATA = Path(__file__).parents[2] / "shared" / "realdata" / "open311"
needs_realdata = pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real Open311 documents not found at {REALDATA}")
WEEDS = "4e090d24992b941e78000001"  # 6 of Bloomington's 21 requests
GRAFFITI = "4e090d24992b941e78000027"  # 1 request


@pytest.fixture
def server():
    feed = FeedServer()
    yield feed
    feed.close()


def add_source(app, url, mapping=None) -> int:
    with app.app_context():
        source = FeedSource(name="Блумингтон 311", kind="open311", url=url, interval_seconds=60, enabled=True,
                            field_mapping=mapping, cursor="")
        db.session.add(source)
        db.session.commit()
        return source.id


def services_json(services) -> bytes:
    return json.dumps([{"service_code": code, "service_name": name} for code, name in services]).encode()


def topic_id(app, name) -> int:
    with app.app_context():
        return db.session.scalar(select(Topic.id).filter_by(name=name))


def selected(html: str, label: str) -> str:
    """The chosen option's text of the service row whose label is `label`."""
    row = re.search(r'<tr class="service[^"]*">(?:(?!</tr>).)*?>' + re.escape(label) + r"</label>(.*?)</tr>",
                    html, re.DOTALL)
    assert row, f"no row for {label}"
    chosen = re.search(r'<option value="\d+" selected>([^<]+)</option>', row.group(1))
    return chosen.group(1) if chosen else re.search(r'<option value="">([^<]+)</option>', row.group(1)).group(1)


@needs_realdata
def test_an_admin_files_a_services_requests_under_a_topic_and_the_next_poll_obeys(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (200, (REALDATA / "bloomington_services.json").read_bytes())
    server.routes["/open311/requests.json"] = (200, (REALDATA / "bloomington_requests.json").read_bytes())
    source_id = add_source(app, server.url("/open311"))
    auth.as_role(make, "admin")
    assert f"/sources/{source_id}/services" in client.get("/sources/").get_data(as_text=True)
    page = client.get(f"/sources/{source_id}/services")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count('name="key"') == 46  # every service the server lists
    assert "Potholes, Other Street Repair" in html and "Cleanup &amp; Sanitation" in html
    assert selected(html, "Weeds") == "— не задана —"
    greenery, roads = topic_id(app, "Благоустройство"), topic_id(app, "Дороги")
    saved = client.post(f"/sources/{source_id}/services", data={
        "csrf_token": csrf_from(html), "key": [f"c:{WEEDS}", f"c:{GRAFFITI}"], "topic": [str(greenery), str(roads)]},
        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "задано 2 из 2" in html
    assert selected(html, "Weeds") == "Благоустройство" and selected(html, "Graffiti") == "Дороги"
    with app.app_context():
        poll_once(source_id)
        filed = db.session.execute(select(Incident.raw, Incident.topic_id, Incident.department_id)).all()
    assert len(filed) == 21
    weeds = [row for row in filed if row.raw["service_code"] == WEEDS]
    assert len(weeds) == 6 and {(row.topic_id, row.department_id) for row in weeds} == {
        (greenery, make.department("Благоустройство"))}
    graffiti = [row for row in filed if row.raw["service_code"] == GRAFFITI]
    assert [(row.topic_id, row.department_id) for row in graffiti] == [(roads, make.department("Дороги"))]

    # clearing a choice removes it; the other stays
    client.post(f"/sources/{source_id}/services", data={
        "csrf_token": csrf_from(html), "key": [f"c:{WEEDS}"], "topic": [""]})
    with app.app_context():
        assert db.session.get(FeedSource, source_id).field_mapping == {"services": {GRAFFITI: "Дороги"}}


def test_a_server_that_cannot_be_read_says_why_and_still_shows_what_is_mapped(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (500, b"oops")
    source_id = add_source(app, server.url("/open311"), {"services": {"A-1": "Дороги"}, "topics": {"Ямы": "Дороги"},
                                                         "page_size": 50})
    auth.as_role(make, "admin")
    html = client.get(f"/sources/{source_id}/services").get_data(as_text=True)
    assert "Список услуг не получен: Источник ответил ошибкой HTTP 500" in html
    assert html.count('name="key"') == 2 and "сервер больше не называет эту услугу" in html
    assert selected(html, "A-1") == "Дороги" and selected(html, "Ямы") == "Дороги"
    client.post(f"/sources/{source_id}/services", data={"csrf_token": csrf_from(html), "key": ["c:A-1", "n:Ямы"],
                                                        "topic": [str(topic_id(app, "Образование")), ""]})
    with app.app_context():  # the other settings of the mapping are kept
        assert db.session.get(FeedSource, source_id).field_mapping == {"services": {"A-1": "Образование"},
                                                                       "page_size": 50}


def test_a_stale_form_is_refused_in_russian_and_keeps_the_choices(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (200, services_json([("S1", "Ямы"), ("S2", "Мусор")]))
    source_id = add_source(app, server.url("/open311"))
    auth.as_role(make, "admin")
    html = client.get(f"/sources/{source_id}/services").get_data(as_text=True)
    assert selected(html, "Ямы") == "— не задана —"
    education = topic_id(app, "Образование")
    response = client.post(f"/sources/{source_id}/services", data={
        "csrf_token": csrf_from(html), "key": ["c:S1", "c:S2"], "topic": [str(education), "999999"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Сопоставление не сохранено" in html
    assert selected(html, "Ямы") == "Образование"  # what the person chose is still there
    with app.app_context():
        assert db.session.get(FeedSource, source_id).field_mapping is None


def test_a_service_named_like_a_topic_is_shown_as_matched_by_name(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (200, services_json([("R", "дороги")]))  # our «Дороги», lower-cased
    source_id = add_source(app, server.url("/open311"))
    auth.as_role(make, "admin")
    html = client.get(f"/sources/{source_id}/services").get_data(as_text=True)
    assert selected(html, "дороги") == "по названию: Дороги"


def test_service_names_from_the_server_are_escaped(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (200, (b'[{"service_code": "<b>x</b>", "service_name": '
                                                    b'"<img src=x onerror=alert(1)>", "group": "<script>g</script>"}]'))
    source_id = add_source(app, server.url("/open311"))
    auth.as_role(make, "admin")
    html = client.get(f"/sources/{source_id}/services").get_data(as_text=True)
    assert "<img src=x" not in html and "<script>g" not in html and "<b>x</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_only_open311_sources_have_a_services_page(app, client, auth, make):
    with app.app_context():
        source = FeedSource(name="ЦУР", kind="cur_json", url="https://cur.example/feed", interval_seconds=60)
        db.session.add(source)
        db.session.commit()
        source_id = source.id
    auth.as_role(make, "admin")
    assert client.get(f"/sources/{source_id}/services").status_code == 404
    assert f"/sources/{source_id}/services" not in client.get("/sources/").get_data(as_text=True)


def test_a_mapping_stored_malformed_before_is_read_as_empty_not_as_an_error(app, client, auth, make, server):
    server.routes["/open311/services.json"] = (200, services_json([("S1", "Ямы")]))
    source_id = add_source(app, server.url("/open311"), {"services": ["Ямы"], "topics": "Дороги"})
    auth.as_role(make, "admin")
    page = client.get(f"/sources/{source_id}/services")
    assert page.status_code == 200 and selected(page.get_data(as_text=True), "Ямы") == "— не задана —"
