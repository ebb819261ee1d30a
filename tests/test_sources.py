"""Admins manage feed sources on a page and from the command line; the demo feed exists only in demo mode."""
import pytest
from conftest import csrf_from

from mcu.extensions import db
from mcu.feeds import cur_json, map_items
from mcu.feeds.ingest import upsert_incidents
from mcu.models import FeedSource, Incident

SECRET = "s3cr3t-token-abcdef"


def form(client, page, **fields):
    token = csrf_from(client.get(page).get_data(as_text=True))
    data = {"name": "ЦУР основной", "kind": "cur_json", "url": "https://cur.example.ru/feed.json",
            "credentials": "", "interval_seconds": "60", "enabled": "y", "field_mapping": "", "csrf_token": token}
    data.update(fields)
    return client.post(page, data=data)


def test_an_admin_adds_edits_disables_and_enables_a_source_and_never_sees_the_token_again(app, client, auth, make):
    auth.as_role(make, "admin")
    assert form(client, "/sources/new", credentials=SECRET).status_code == 302
    with app.app_context():
        source = db.session.scalar(db.select(FeedSource))
        source_id = source.id
        assert source.credentials == SECRET and source.enabled
    listing = client.get("/sources/").get_data(as_text=True)
    assert "ЦУР основной" in listing and "ещё не опрашивался" in listing and SECRET not in listing
    edit_page = client.get(f"/sources/{source_id}/edit").get_data(as_text=True)
    assert SECRET not in edit_page and SECRET[:6] not in edit_page
    assert form(client, f"/sources/{source_id}/edit", interval_seconds="30", credentials="").status_code == 302
    with app.app_context():
        source = db.session.get(FeedSource, source_id)
        assert source.interval_seconds == 30 and source.credentials == SECRET  # blank keeps the token
    page = client.get("/sources/").get_data(as_text=True)
    client.post(f"/sources/{source_id}/disable", data={"csrf_token": csrf_from(page)})
    assert "выключен" in client.get("/sources/").get_data(as_text=True)
    client.post(f"/sources/{source_id}/enable", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(FeedSource, source_id).enabled


def test_bad_source_input_is_refused_with_a_russian_message_and_kept_in_the_form(app, client, auth, make):
    auth.as_role(make, "admin")
    response = form(client, "/sources/new", url="ftp://x", interval_seconds="1", field_mapping="{oops")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "http://" in html and "от 5 секунд" in html and "Это не JSON" in html and "{oops" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FeedSource.id))) == 0


@pytest.mark.parametrize("role", ["operator", "head", "field", "viewer"])
def test_only_admins_manage_sources(app, client, auth, make, role):
    auth.as_role(make, role, "Дороги" if role in ("head", "field") else None)
    assert client.get("/sources/").status_code == 403
    assert client.get("/sources/new").status_code == 403
    token = csrf_from(client.get("/board").get_data(as_text=True))
    assert client.post("/sources/new", data={"csrf_token": token, "name": "x"}).status_code == 403


def test_the_cli_adds_lists_disables_and_enables_sources(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["feeds", "add", "Open311 города", "https://city.example.ru/open311/v2",
                               "--kind", "open311", "--interval", "120"]).exit_code == 0
    out = runner.invoke(args=["feeds", "list"]).output
    assert "Open311 города" in out and "every 120s" in out
    assert runner.invoke(args=["feeds", "disable", "Open311 города"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["feeds", "list"]).output
    assert runner.invoke(args=["feeds", "enable", "Open311 города"]).exit_code == 0
    assert runner.invoke(args=["feeds", "add", "x", "https://x", "--kind", "nope"]).exit_code != 0


def test_the_demo_feed_does_not_exist_outside_demo_mode(client):
    assert client.get("/demo-feed/incidents.json").status_code == 404


def test_the_demo_feed_repeats_itself_for_a_cursor_and_its_messages_reach_the_board(app, client, auth, make,
                                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "DEMO", True)
    monkeypatch.setitem(app.config, "DEMO_FEED_PER_MINUTE", 60)
    first = client.get("/demo-feed/incidents.json").get_json()
    assert len(first["items"]) >= 100 and first["next_cursor"].isdigit()
    cursor = str(int(first["next_cursor"]) - 3)
    again = client.get(f"/demo-feed/incidents.json?cursor={cursor}").get_json()
    assert again["items"][:3] == first["items"][-3:]
    assert client.get("/demo-feed/incidents.json?cursor=abc").status_code == 400
    with app.app_context():
        source = FeedSource(name="Демо", kind="cur_json", url="http://x", cursor="")
        page = cur_json.parse(client.get("/demo-feed/incidents.json?limit=10").data, source)
        records, errors = map_items(page.items, source, cur_json)
        assert errors == [] and upsert_incidents(records, "Демо").created == 10
        channels = {i["channel"] for i in first["items"]}
        assert "im" in channels and len(channels) > 2
        text = db.session.scalar(db.select(Incident.text).where(Incident.source == "Демо"))
    auth.as_role(make, "operator")
    assert text in client.get("/board").get_data(as_text=True)


def test_the_badge_says_nothing_without_sources_and_says_the_queue_is_down_when_it_is(app, client, auth, make,
                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    auth.as_role(make, "viewer")
    assert "очередь недоступна" not in client.get("/sources/badge").get_data(as_text=True)
    with app.app_context():
        db.session.add(FeedSource(name="ЦУР", kind="cur_json", url="https://x.example.ru/f", cursor=""))
        db.session.commit()
    fragment = client.get("/sources/badge", headers={"HX-Request": "true", "X-MCU-Background": "1"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "очередь недоступна" in html and "<html" not in html
    assert 'href="/sources/"' not in html  # only admins get the link to the sources page


def test_a_renamed_source_keeps_its_incidents_and_never_brings_a_record_twice(app, client, auth, make):
    auth.as_role(make, "admin")
    assert form(client, "/sources/new").status_code == 302
    with app.app_context():
        source = db.session.scalar(db.select(FeedSource))
        source_id = source.id
    item = {"id": "R-1", "created_at": "2026-11-30T01:00:00+00:00", "text": "Яма у школы", "topic": "Дороги"}

    def ingest(text, updated):
        with app.app_context():
            src = db.session.get(FeedSource, source_id)
            records, _errors = map_items([{**item, "text": text, "updated_at": updated}], src, cur_json)
            return upsert_incidents(records, src.name, feed_source_id=src.id)

    assert ingest("Яма у школы", "2026-11-30T01:00:00+00:00").created == 1
    assert form(client, f"/sources/{source_id}/edit", name="ЦУР (основной канал)").status_code == 302
    again = ingest("Яма у школы, глубокая", "2026-11-30T02:00:00+00:00")
    assert (again.created, again.updated) == (0, 1)
    with app.app_context():
        rows = db.session.execute(db.select(Incident.source, Incident.text)).all()
    assert [tuple(r) for r in rows] == [("ЦУР (основной канал)", "Яма у школы, глубокая")]


@pytest.mark.parametrize("name", ["manual", "Import"])
def test_the_names_manual_entry_and_imports_use_are_refused(app, client, auth, make, name):
    auth.as_role(make, "admin")
    response = form(client, "/sources/new", name=name)
    assert response.status_code == 400 and "название уже занято" in response.get_data(as_text=True)
    assert app.test_cli_runner().invoke(args=["feeds", "add", name, "https://x.example"]).exit_code != 0


@pytest.mark.parametrize("mapping,message", [
    ('{"services": ["Ямы"]}', "«services» — объект"),
    ('{"topics": {"Potholes": 5}}', "«topics» — объект"),
    ('{"page_size": "много"}', "«page_size» — целое число"),
])
def test_an_open311_mapping_that_cannot_work_is_refused_in_russian(app, client, auth, make, mapping, message):
    auth.as_role(make, "admin")
    response = form(client, "/sources/new", kind="open311", url="https://city.example/open311/v2",
                    field_mapping=mapping)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Сопоставление для «Open311 GeoReport v2»" in html and message in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(FeedSource.id))) == 0


@pytest.mark.parametrize("mapping,message", [
    ('{"fields": ["text"]}', "«fields» — объект"),
    ('{"fields": {"txt": "body.message"}}', "неизвестные поля в «fields»: txt; известны: external_id"),
    ('{"values": {"channel": "im"}}', "«values» — объект"),
    ('{"limit": 0}', "«limit» — целое число от 1 до 5000"),
    ('{"timezone": "Mars/Olympus"}', "неизвестный часовой пояс «Mars/Olympus»"),
    ('{"items": 5}', "«items» — строка"),
])
def test_a_cur_mapping_that_cannot_work_is_refused_in_russian(app, client, auth, make, mapping, message):
    auth.as_role(make, "admin")
    response = form(client, "/sources/new", field_mapping=mapping)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Сопоставление для «ЦУР (JSON)»" in html and message in html


def test_a_working_cur_mapping_is_kept(app, client, auth, make):
    auth.as_role(make, "admin")
    mapping = ('{"fields": {"text": "body.message", "author": "body.user.name"}, "values": {"channel": {"VK": "im"}},'
               ' "timezone": "Asia/Vladivostok", "limit": 200, "items": "data.items", "next_cursor": null}')
    assert form(client, "/sources/new", field_mapping=mapping).status_code == 302
