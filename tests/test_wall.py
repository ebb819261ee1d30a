"""The control-room wall over HTTP: display tokens (CLI, admin page, hashed, revocable), what a token opens (the
wall and its poll, nothing else, never a session), the poll's 204 while nothing it shows changed, a department's
wall, overdue first, the day's counters, and no personal data of citizens."""
import hashlib
import re
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from time import sleep
from zoneinfo import ZoneInfo

import pytest
from conftest import csrf_from
from sqlalchemy import event, select
from walltools import HOSTILE, make_token, revoke_token

from mcu.extensions import db
from mcu.lanes import bump
from mcu.models import DisplayToken, FeedSource, Incident
from mcu.wall import layout, screen

NOW = datetime.now(UTC)


def wall(client, secret, **args):
    return client.get("/wall", query_string={"token": secret, **args})


@contextmanager
def statements_of(app):
    """The SQL statements run inside the block."""
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def poll_url(html: str) -> str:
    match = re.search(r'id="wall-state" data-poll="([^"]+)"', html)
    assert match, "no poll on the wall"
    return match.group(1).replace("&amp;", "&")


# --- tokens ----------------------------------------------------------------------------------------------------

def test_the_cli_prints_the_address_once_and_keeps_only_the_hash(app):
    runner = app.test_cli_runner()
    made = runner.invoke(args=["display-token", "create", "Зал МЦУ"])
    assert made.exit_code == 0, made.output
    secret = re.search(r"/wall\?token=([\w-]+)", made.output).group(1)
    with app.app_context():
        stored = db.session.scalar(select(DisplayToken).filter_by(name="Зал МЦУ"))
        assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr([getattr(stored, c.key) for c in DisplayToken.__table__.columns])
    listed = runner.invoke(args=["display-token", "list"])
    assert "Зал МЦУ" in listed.output and "active" in listed.output and secret not in listed.output
    assert app.test_client().get(f"/wall?token={secret}").status_code == 200
    assert runner.invoke(args=["display-token", "revoke", "Зал МЦУ"]).output.startswith("revoked")
    assert "revoked" in runner.invoke(args=["display-token", "list"]).output
    assert app.test_client().get(f"/wall?token={secret}").status_code == 403


def test_the_cli_refuses_a_second_wall_of_the_same_name_and_an_unknown_department(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["display-token", "create", "Зал"]).exit_code == 0
    again = runner.invoke(args=["display-token", "create", "Зал"])
    assert again.exit_code != 0 and "уже есть" in again.output
    unknown = runner.invoke(args=["display-token", "create", "Другой", "--department", "Нет такого"])
    assert unknown.exit_code != 0 and "no department" in unknown.output


def test_an_admin_makes_a_wall_sees_its_address_once_and_revokes_it(app, client, auth, make):
    auth.as_role(make, "admin")
    page = client.get("/walls/")
    assert page.status_code == 200
    made = client.post("/walls/", data={"name": "Дороги ТВ", "department": str(make.department("Дороги")),
                                        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert made.status_code == 201
    secret = re.search(r"/wall\?token=([\w-]+)", made.get_data(as_text=True)).group(1)
    listing = client.get("/walls/").get_data(as_text=True)
    assert "Дороги ТВ" in listing and secret not in listing  # shown once
    assert wall(app.test_client(), secret).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(DisplayToken.id).filter_by(name="Дороги ТВ"))
    revoked = client.post(f"/walls/{token_id}/revoke", data={"csrf_token": csrf_from(listing)})
    assert revoked.status_code == 302
    assert wall(app.test_client(), secret).status_code == 403


def test_the_walls_page_says_what_is_wrong_with_a_name(app, client, auth, make):
    auth.as_role(make, "admin")
    token = csrf_from(client.get("/walls/").get_data(as_text=True))
    empty = client.post("/walls/", data={"name": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "Укажите название" in empty.get_data(as_text=True)
    bad = client.post("/walls/", data={"name": "Зал", "department": "x", "csrf_token": token})
    assert bad.status_code == 400 and "Нет такого подразделения" in bad.get_data(as_text=True)


@pytest.mark.parametrize("role", ["operator", "head", "field", "viewer"])
def test_only_admins_see_the_walls_page(app, client, auth, make, role):
    auth.as_role(make, role, "Дороги" if role in ("head", "field") else None)
    assert client.get("/walls/").status_code == 403


# --- what a token opens ----------------------------------------------------------------------------------------

def test_the_wall_opens_with_a_token_and_no_session(app, client, make):
    make.incident(text="Яма на Ленина")
    secret = make_token(app)
    page = wall(client, secret)
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers  # no session, so nothing to time out
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "Яма на Ленина" in html and 'data-lane="unrouted"' in html and "Не рас" in html
    changes = client.get(poll_url(html))
    assert changes.status_code == 204 and "Set-Cookie" not in changes.headers
    assert changes.headers["Cache-Control"] == "no-store" and changes.headers["X-MCU-Assets"]


@pytest.mark.parametrize("secret", ["", "nonsense", "x" * 5000])
def test_a_wall_without_a_valid_token_is_refused_never_sent_to_sign_in(app, client, secret):
    for url in ("/wall", "/wall/changes"):
        response = client.get(url, query_string={"token": secret} if secret else {})
        assert response.status_code == 403, url
        assert "Ссылка стены недействительна" in response.get_data(as_text=True)
        assert "Location" not in response.headers


def test_a_revoked_token_stops_at_the_walls_next_request(app, client, make):
    secret = make_token(app)
    url = poll_url(wall(client, secret).get_data(as_text=True))
    assert client.get(url).status_code == 204
    revoke_token(app)
    answer = client.get(url)
    assert answer.status_code == 403 and "Location" not in answer.headers
    assert 'data-refused="revoked"' in answer.get_data(as_text=True)
    assert "Доступ отозван" in answer.get_data(as_text=True)
    assert "Доступ отозван" in wall(client, secret).get_data(as_text=True)


STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# pages anyone may load without signing in, with or without a token: the sign-in page, lane colours, the demo feed
PUBLIC = {"auth.login", "board.department_colours", "demo_feed.incidents", "static"}


def _sample_args(rule, ids):
    return {name: ids.get(name, 1) for name in rule.arguments}


def test_a_token_opens_nothing_but_the_wall(app, make):
    """Every other GET answers a token-only request exactly as it answers nobody (a sign-in redirect, 401, 403 or
    404, or a public page), and every state-changing request with the token is refused with nothing changed."""
    incident = make.incident(text="Тайное сообщение с телефоном")
    secret = make_token(app)
    ids = {"incident_id": incident, "token_id": 1, "source_id": 1, "rule_id": 1, "user_id": 1, "photo_id": 1}
    with app.app_context():
        before = db.session.execute(select(Incident.id, Incident.version, Incident.status)).all()
    with app.test_request_context():
        from flask import url_for
        rules = [(rule, url_for(rule.endpoint, **_sample_args(rule, ids))) for rule in app.url_map.iter_rules()
                 if not rule.endpoint.startswith("wall.") or rule.endpoint == "wall.tokens_page"
                 or rule.endpoint in ("wall.create_token", "wall.revoke_token")]
    checked = 0
    for rule, url in rules:
        for method in sorted(rule.methods & ({"GET"} | STATE_CHANGING)):
            with_token = getattr(app.test_client(), method.lower())(url, query_string={"token": secret},
                                                                     data={"token": secret})
            without = getattr(app.test_client(), method.lower())(url)
            assert with_token.status_code == without.status_code, (method, url)
            body = with_token.get_data(as_text=True)
            assert "Тайное сообщение" not in body, (method, url)
            if with_token.status_code == 200:
                assert rule.endpoint in PUBLIC and method == "GET", (method, url)
            if method in STATE_CHANGING:
                assert with_token.status_code in (302, 400, 401, 403, 404, 405), (method, url)
            checked += 1
    assert checked > 60
    with app.app_context():
        assert db.session.execute(select(Incident.id, Incident.version, Incident.status)).all() == before
    for method in ("post", "put", "delete"):
        assert getattr(app.test_client(), method)("/wall", query_string={"token": secret}).status_code == 405


def test_a_department_wall_shows_that_department_only_and_does_not_rotate(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "WALL_ROTATE_SECONDS", 10)
    make.incident(text="Яма на дороге", department_id=make.department("Дороги"))
    make.incident(text="Автобус не пришёл", department_id=make.department("Транспорт"))
    make.incident(text="Без подразделения", department_id=None)
    html = wall(client, make_token(app, "Дороги ТВ", "Дороги")).get_data(as_text=True)
    assert "Яма на дороге" in html and "Автобус" not in html and "Без подразделения" not in html
    assert 'data-rotate-seconds="0"' in html
    assert "Транспорт" not in html.split('class="wall-tiles')[1].split("wall-health")[0]
    asked = wall(client, make_token(app, "Дороги 2", "Дороги"), view="city").get_data(as_text=True)
    assert "Автобус" not in asked  # a department's token cannot ask for the city
    city = wall(client, make_token(app, "Город")).get_data(as_text=True)
    assert 'data-rotate-seconds="10"' in city and "Автобус не пришёл" in city
    one = wall(client, make_token(app, "Город 2"), view=str(make.department("Транспорт"))).get_data(as_text=True)
    assert "Автобус не пришёл" in one and "Яма на дороге" not in one


# --- the poll --------------------------------------------------------------------------------------------------

def test_the_poll_is_204_until_something_it_shows_changes(app, client, make):
    roads = make.department("Дороги")
    make.incident(text="Первая карточка", department_id=roads)
    secret = make_token(app)
    url = poll_url(wall(client, secret).get_data(as_text=True))
    assert [client.get(url).status_code for _ in range(3)] == [204, 204, 204]
    make.incident(text="Новая из ленты", department_id=roads)
    with app.app_context():
        bump([roads])
        db.session.commit()
    changed = client.get(url)
    assert changed.status_code == 200 and "Новая из ленты" in changed.get_data(as_text=True)
    assert client.get(poll_url(changed.get_data(as_text=True))).status_code == 204


def test_the_poll_answers_anew_when_a_deadline_passes_though_nothing_was_written(app, client, make):
    """Overdue happens by time passing: the poll carries the next deadline crossing and answers 200 after it."""
    due = datetime.now(UTC) + timedelta(minutes=5)
    make.incident(text="Срок скоро", first_answer_due=due)
    secret = make_token(app)
    url = poll_url(wall(client, secret).get_data(as_text=True))
    moment = int(re.search(r"[?&]t=(\d+)", url).group(1))
    assert moment == int(due.timestamp()) + 1  # not midnight, not the strip: the deadline comes first
    assert client.get(url).status_code == 204
    passed = client.get(re.sub(r"([?&]t=)\d+", lambda m: m.group(1) + str(int(datetime.now(UTC).timestamp()) - 1),
                               url))
    assert passed.status_code == 200


def test_the_poll_answers_anew_when_a_feed_starts_failing(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "WALL_HEALTH_SECONDS", 0)
    monkeypatch.delitem(app.extensions, "mcu_wall_health", raising=False)  # made anew with the setting above
    secret = make_token(app)
    url = poll_url(wall(client, secret).get_data(as_text=True))
    with app.app_context():
        db.session.add(FeedSource(name="Лента ЦУР", kind="cur_json", url="http://127.0.0.1:9/x", consecutive_failures=3,
                                  last_error="timeout", enabled=True))
        db.session.commit()
    answer = client.get(url)
    assert answer.status_code == 200
    assert re.search(r'class="health-bad">⚠ Лента ЦУР: ошибка', answer.get_data(as_text=True))


# --- what the wall shows ---------------------------------------------------------------------------------------

def test_overdue_first_then_due_soonest_with_counts_and_the_rest_counted(app, client, make):
    roads = make.department("Дороги")
    make.incident(text="Срок через два часа", department_id=roads, first_answer_due=NOW + timedelta(hours=2))
    make.incident(text="Просрочено вчера", department_id=roads, first_answer_due=NOW - timedelta(days=1))
    make.incident(text="Срок через час", department_id=roads, first_answer_due=NOW + timedelta(hours=1))
    for n in range(6):
        make.incident(text=f"Далёкий срок {n}", department_id=roads, first_answer_due=NOW + timedelta(days=3),
                      status="in_progress")
    html = wall(client, make_token(app, "Дороги ТВ", "Дороги")).get_data(as_text=True)
    order = [html.index(t) for t in ("Просрочено вчера", "Срок через час", "Срок через два часа")]
    assert order == sorted(order)
    tile = html.split(f'data-lane="{roads}"')[1]
    assert 'data-overdue="1"' in html and "⚠ 1" in tile
    assert "Н&thinsp;3" in tile and "Р&thinsp;6" in tile
    assert "⚠ −1 д" in tile and "ещё 1 ч" in tile or "ещё 59 мин" in tile


def test_a_card_escalated_for_the_deadline_it_shows_says_so_on_the_wall(app, client, make):
    """«Эскалация» as on the board: the escalation of the card's present deadline, not of one it was held to
    before."""
    roads = make.department("Дороги")
    late = NOW.replace(microsecond=0) - timedelta(hours=6)
    make.incident(text="Эскалирована", department_id=roads, first_answer_due=late, escalated_due=late)
    make.incident(text="Старая эскалация", department_id=roads, first_answer_due=late,
                  escalated_due=late - timedelta(days=2))
    html = wall(client, make_token(app, "Дороги ТВ", "Дороги")).get_data(as_text=True)
    cards = {re.search(r"Эскалирована|Старая эскалация", li).group(0): li
             for li in re.findall(r'<li class="wcard.*?</li>', html, re.DOTALL)}
    assert '<strong class="esc">⚠ Эскалация</strong>' in cards["Эскалирована"]
    assert "Эскалация<" not in cards["Старая эскалация"]


def test_a_tile_with_more_cards_than_room_counts_the_rest(app, client, make):
    roads = make.department("Дороги")
    for n in range(40):
        make.incident(text=f"Карточка {n}", department_id=roads, first_answer_due=NOW + timedelta(hours=n + 1))
    html = wall(client, make_token(app)).get_data(as_text=True)
    shown = layout.for_tiles(10, 0).cards  # ten lanes in the reference data: nine departments and the unrouted
    tile = html.split(f'data-lane="{roads}"')[1].split("</article>")[0]
    assert len(re.findall(r'<li class="wcard', tile)) == shown >= 1
    assert f"и ещё {40 - shown}" in tile


def test_the_days_counters(app, client, make):
    """Counted as of the moment the wall is asked (not when the test module was imported: the suite runs for
    minutes), with the day's three arrivals after the city's midnight and within the last 15 minutes."""
    now, zone = datetime.now(UTC), ZoneInfo(app.config["TIMEZONE"])
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone).astimezone(UTC)
    if now - midnight < timedelta(seconds=10):  # the city's day has just begun: let its first seconds pass
        sleep(10)
        now = datetime.now(UTC)
    start = max(now - timedelta(minutes=7), midnight + timedelta(seconds=1))
    step = (now - start) / 8
    make.incident(received_at=start + 2 * step, first_answered_at=start + 6 * step,
                  first_answer_work_minutes=30, status="answered")
    make.incident(received_at=start + step, first_answered_at=start + 5 * step,
                  first_answer_work_minutes=50, status="interim", resolve_due=now + timedelta(days=5))
    make.incident(received_at=start, first_answer_due=start + 4 * step)
    make.incident(received_at=now - timedelta(days=3), status="resolved", resolved_at=now - timedelta(days=2))
    html = wall(client, make_token(app)).get_data(as_text=True)
    counters = re.findall(r'<div class="counter[^"]*"[^>]*><b>([^<]+)</b><span>([^<]+)</span>', html)
    assert counters == [("3", "получено сегодня"), ("3", "в работе сейчас"), ("⚠ 1", "просрочено"),
                        ("2", "отвечено сегодня"), ("40 мин", "медиана до ответа")]
    assert "За 15 минут: 3" in html


def test_no_personal_data_of_citizens_on_the_wall(app, client, make):
    for text in HOSTILE:
        make.incident(text=text, author="Иван Петрович Сидоров", first_answer_due=NOW + timedelta(hours=1))
    html = wall(client, make_token(app, "Дороги ТВ", "Дороги")).get_data(as_text=True)
    assert "Сидоров" not in html
    for text, secret_part in HOSTILE.items():
        assert secret_part not in html, text
    assert "[телефон скрыт]" in html and "[ссылка скрыта]" in html and "[e-mail скрыт]" in html


def test_html_in_a_message_is_shown_as_text(app, client, make):
    make.incident(text="<script>alert(1)</script><b>жирный</b>", first_answer_due=NOW + timedelta(hours=1))
    html = wall(client, make_token(app, "Дороги ТВ", "Дороги")).get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_the_asset_version_changes_with_a_static_file(tmp_path):
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "wall.css").write_text("a{}")
    first = screen.asset_version(str(tmp_path))
    (tmp_path / "css" / "wall.css").write_text("a{color:red}")
    assert screen.asset_version(str(tmp_path)) != first


def test_an_idle_walls_poll_reads_no_database(app, client, make, monkeypatch):
    """500 idle walls cost nothing: with the versions, tokens and feed health held by the process, a 204 runs no
    SQL statement."""
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    monkeypatch.setitem(app.config, "WALL_HEALTH_SECONDS", 60)
    make.incident(text="Карточка")
    url = poll_url(wall(client, make_token(app)).get_data(as_text=True))
    assert client.get(url).status_code == 204  # the caches are warm, last_seen_at written for the minute
    with statements_of(app) as statements:
        assert [client.get(url).status_code for _ in range(10)] == [204] * 10
    assert statements == []


SPECIAL = ["²", "٣", "99999999999999999999999", "-1", "unrouted", "city", "@epoch.1", "1.2,3.4", "", "я" * 3000,
           "<script>", "0", "NaN"]


def test_arbitrary_arguments_never_break_the_wall(app, client, make):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    secret = make_token(app)
    make.incident(text="Карточка")
    nasty = st.one_of(st.text(max_size=30), st.sampled_from(SPECIAL))

    @given(view=nasty, v=nasty, h=nasty, t=nasty)
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(view, v, h, t):
        for path in ("/wall", "/wall/changes"):
            answer = client.get(path, query_string={"token": secret, "view": view, "v": v, "h": h, "t": t})
            assert answer.status_code in (200, 204, 400), (path, view, v, h, t, answer.status_code)

    check()


def test_many_walls_showing_the_same_cost_one_drawing_per_change(app, client, make, monkeypatch):
    """After a change, the first wall's poll draws the region; every other wall showing the same view gets the same
    region with no statement of drawing, and with its own token in its next poll."""
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    monkeypatch.setitem(app.config, "WALL_HEALTH_SECONDS", 60)
    roads = make.department("Дороги")
    make.incident(text="Первая карточка", department_id=roads)
    first, second = make_token(app, "Зал"), make_token(app, "Коридор")
    urls = [poll_url(wall(client, secret).get_data(as_text=True)) for secret in (first, second)]
    for url in urls:  # warm: tokens seen for the minute, versions held
        assert client.get(url).status_code == 204
    make.incident(text="Новая из ленты", department_id=roads)
    with app.app_context():
        bump([roads])
        db.session.commit()
    monkeypatch.delitem(app.extensions, "mcu_lane_versions")  # the process learns the new version at once
    drawn = client.get(urls[0])
    assert drawn.status_code == 200 and "Новая из ленты" in drawn.get_data(as_text=True)
    with statements_of(app) as statements:
        shared = client.get(urls[1])
    assert shared.status_code == 200 and "Новая из ленты" in shared.get_data(as_text=True)
    assert [s for s in statements if re.search(r"\b(FROM|JOIN)\s+incident\b", s, re.IGNORECASE)] == []
    assert f"token={second}" in poll_url(shared.get_data(as_text=True))
    assert f"token={first}" in poll_url(drawn.get_data(as_text=True))
    assert client.get(poll_url(shared.get_data(as_text=True))).status_code == 204


def test_changes_in_quick_succession_cost_one_drawing_and_the_next_poll_brings_the_last(app, client, make,
                                                                                      monkeypatch):
    """20 heads moving cards step the lanes ten times a second: a region drawn less than WALL_REDRAW_SECONDS ago
    serves the walls still (its poll names the versions it shows), and the first poll after that draws anew."""
    monkeypatch.setitem(app.config, "WALL_REDRAW_SECONDS", 60)
    roads = make.department("Дороги")
    make.incident(text="Первая карточка", department_id=roads, received_at=datetime.now(UTC))
    url = poll_url(wall(client, make_token(app)).get_data(as_text=True))

    def change(text):
        make.incident(text=text, department_id=roads, received_at=datetime.now(UTC))
        with app.app_context():
            bump([roads])
            db.session.commit()

    change("Вторая карточка")
    first = client.get(url).get_data(as_text=True)  # the page drew at the first version; the poll draws anew
    assert "За 15 минут: 2" in first
    change("Третья карточка")
    with statements_of(app) as statements:
        held = client.get(poll_url(first))
    assert held.status_code == 200 and "За 15 минут: 2" in held.get_data(as_text=True)
    assert [s for s in statements if re.search(r"\b(FROM|JOIN)\s+incident\b", s, re.IGNORECASE)] == []
    assert poll_url(held.get_data(as_text=True)) == poll_url(first)  # its versions: the ones it shows
    monkeypatch.setitem(app.config, "WALL_REDRAW_SECONDS", 0)
    assert "За 15 минут: 3" in client.get(poll_url(first)).get_data(as_text=True)


def test_a_card_too_narrow_for_its_time_left_and_its_age_shows_the_time_left_alone():
    """21 tiles at once leave a card 12 characters: «⚠ −35 мин 1 д» would be cut (the browser test measures it);
    the time left stays, the age goes. Ten tiles leave room for both."""
    assert not layout.for_tiles(21, 20).show_age and layout.for_tiles(21, 20).line_chars >= len("ещё 59 мин")
    assert layout.for_tiles(10, 20).show_age and layout.for_tiles(1, 20).show_age
