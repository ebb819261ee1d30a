"""Live at control-room scale, over HTTP: a change costs in proportion to who can see it. An idle poll is a 204
that touches no template and no database; a move reaches the screens that show its lane and no other; a lane
is rendered once per version for every screen that shows it; a cell shows at most its cap of cards."""
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from conftest import PASSWORD, csrf_from
from flask import template_rendered
from sqlalchemy import event

from mcu.extensions import db
from mcu.models import User

HX = {"HX-Request": "true", "X-MCU-Background": "1"}


def poll_url(html: str) -> str:
    return unescape(re.search(r'<div id="board-poll" hidden hx-get="([^"]+)"', html).group(1))


def signed_in(app, make, role, department=None):
    """A test client of its own (its own session), signed in as a new user; returns it and its board."""
    client = app.test_client()
    user_id = make.user(role, department)
    with app.app_context():
        login = db.session.get(User, user_id).login
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client, client.get("/board").get_data(as_text=True)


def move(client, board_html, incident_id, version, **fields):
    token = re.search(r'name="csrf-token" content="([^"]+)"', board_html).group(1)
    return client.post(f"/incidents/{incident_id}/move", data={"version": version, **fields},
                       headers={"HX-Request": "true", "X-CSRFToken": token})


class Recorder:
    """Counts SQL statements and rendered templates while it is on."""

    def __init__(self, app):
        self.app, self.statements, self.templates = app, [], []

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._statement)
        template_rendered.connect(self._template, self.app)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._statement)
        template_rendered.disconnect(self._template, self.app)

    def _statement(self, _conn, _cursor, statement, *_args):
        self.statements.append(statement)

    def _template(self, _app, template, context, **_extra):
        self.templates.append(template.name)


def test_an_idle_poll_is_a_204_that_touches_no_template_and_no_database(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    make.incident(text="Яма у школы")
    client, html = signed_in(app, make, "operator")
    url = poll_url(html)
    assert client.get(url, headers=HX).status_code == 204  # the process reads the lane versions once
    with Recorder(app) as seen:
        response = client.get(url, headers=HX)
    assert response.status_code == 204 and response.get_data() == b""
    assert seen.statements == [] and seen.templates == []


def test_a_move_reaches_the_screens_that_show_its_lane_and_no_other(app, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    card = make.incident(text="Яма у школы", department_id=roads)
    make.incident(text="Автобус не пришёл", department_id=transport)
    operator, operator_html = signed_in(app, make, "operator")
    head, head_html = signed_in(app, make, "head", "Дороги")
    other_head, other_html = signed_in(app, make, "head", "Транспорт")
    assert move(head, head_html, card, 1, to_status="in_progress").status_code == 200

    body = operator.get(poll_url(operator_html), headers=HX).get_data(as_text=True)
    assert f'hx-target="#lane-{roads}"' in body and f'hx-target="#lane-{transport}"' not in body
    lane = body[body.index(f'hx-target="#lane-{roads}"'):]
    assert lane.index(f'id="incident-{card}"') > lane.index(f'id="cell-{roads}-in_progress"')
    assert 'id="board-poll"' in body  # the screen's versions move on with it

    body = head.get(poll_url(head_html), headers=HX).get_data(as_text=True)
    assert f'hx-target="#lane-{roads}"' in body
    assert other_head.get(poll_url(other_html), headers=HX).status_code == 204  # not their department


def test_the_next_poll_after_an_answer_is_a_204_again(app, make):
    roads = make.department("Дороги")
    card = make.incident(department_id=roads)
    operator, html = signed_in(app, make, "operator")
    assert move(operator, html, card, 1, to_status="in_progress").status_code == 200
    answer = operator.get(poll_url(html), headers=HX)
    assert answer.status_code == 200
    assert operator.get(poll_url(answer.get_data(as_text=True)), headers=HX).status_code == 204


def test_a_new_card_in_a_lane_a_filtered_board_did_not_show_brings_the_whole_lanes(app, make):
    roads, education = make.department("Дороги"), make.department("Образование")
    make.incident(text="Яма у школы", department_id=roads, topic_id=make.topic("Дороги"))
    operator, _ = signed_in(app, make, "operator")
    html = operator.get(f"/board?topic={make.topic('Дороги')}").get_data(as_text=True)
    assert f'id="lane-{education}"' not in html
    late = make.incident(text="Тротуар у школы", department_id=education, topic_id=make.topic("Дороги"))
    with app.app_context():
        from mcu.lanes import bump
        bump([education])
        db.session.commit()
    body = operator.get(poll_url(html), headers=HX).get_data(as_text=True)
    assert 'hx-target="#lanes"' in body and f'id="incident-{late}"' in body and f'id="lane-{education}"' in body


def test_many_screens_showing_the_same_lane_cost_one_render(app, make, redis_conn):
    app.extensions.pop("mcu_fragments", None)
    roads = make.department("Дороги")
    card = make.incident(department_id=roads)
    screens = [signed_in(app, make, "operator") for _ in range(12)]
    screens += [signed_in(app, make, "head", "Дороги") for _ in range(4)]  # a head's lane is the same lane
    mover, mover_html = screens[0]
    fragments = app.extensions["mcu_fragments"]
    before = fragments.renders
    assert move(mover, mover_html, card, 1, from_status="new", from_department=roads, to_status="in_progress",
                to_department=roads).status_code == 200  # as the page sends a drop
    assert fragments.renders - before == 1  # the move's answer drew the lane at its new version, and shared it
    for client, html in screens:
        body = client.get(poll_url(html), headers=HX).get_data(as_text=True)
        assert f'hx-target="#lane-{roads}"' in body and f'id="incident-{card}"' in body
    assert fragments.renders - before == 1  # the change cost one render, however many screens show it
    app.extensions.pop("mcu_fragments", None)


def test_without_redis_the_board_serves_and_stays_live(app, make, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "REDIS_URL", f"unix://{tmp_path}/nobody-listens.sock")
    app.extensions.pop("mcu_fragments", None)
    roads = make.department("Дороги")
    card = make.incident(text="Яма у школы", department_id=roads)
    operator, html = signed_in(app, make, "operator")
    assert "Яма у школы" in html
    assert move(operator, html, card, 1, to_status="in_progress").status_code == 200
    body = operator.get(poll_url(html), headers=HX).get_data(as_text=True)
    assert f'hx-target="#lane-{roads}"' in body and f'id="incident-{card}"' in body
    app.extensions.pop("mcu_fragments", None)


@pytest.mark.parametrize("extra", [0, 60])
def test_a_cell_shows_at_most_its_cap_and_counts_the_rest(app, make, monkeypatch, extra):
    monkeypatch.setitem(app.config, "BOARD_CELL_CARDS", 5)
    roads = make.department("Дороги")
    now = datetime.now(UTC)
    ids = [make.incident(department_id=roads, received_at=now - timedelta(minutes=n)) for n in range(8 + extra)]
    operator, _ = signed_in(app, make, "operator")
    with Recorder(app) as seen:
        html = operator.get("/board").get_data(as_text=True)
    cell = html[html.index(f'id="cell-{roads}-new"'):]
    cell = cell[:cell.index("</section>")]
    shown = [int(i) for i in re.findall(r'data-id="(\d+)"', cell)]
    assert shown == ids[:5]  # the newest first, as the board orders them
    assert f'<span class="count">{8 + extra}</span>' in cell
    assert f"и ещё {3 + extra}" in cell
    link = unescape(re.search(r'<a class="cell-more" href="([^"]+)">и ещё', cell).group(1))
    assert f"department={roads}" in link and "status=new" in link
    assert len(seen.statements) <= 9  # as many for 68 cards as for 8: no statement grows with the cards


def test_a_database_made_anew_is_never_mistaken_for_the_old_one(app, make):
    """Lane versions restart with a new database; its epoch keeps a screen (and a shared lane) of the old one
    from passing for current."""
    roads = make.department("Дороги")
    make.incident(text="Старая карточка", department_id=roads)
    operator, html = signed_in(app, make, "operator")
    with app.app_context():
        from mcu.lanes import ensure_epoch
        from mcu.models import LaneState
        db.session.execute(db.delete(LaneState))  # as a restored or new database has them
        ensure_epoch()
        db.session.commit()
    make.incident(text="Новая карточка", department_id=roads)
    body = operator.get(poll_url(html), headers=HX).get_data(as_text=True)
    assert 'hx-target="#lanes"' in body and "Новая карточка" in body


def test_a_changed_poll_whose_lanes_another_screen_had_drawn_reads_no_database(app, make, monkeypatch):
    """With 20 people at work nearly every city poll finds a change: the person behind it and the lanes it needs
    are what this process already holds, so it costs no statement (on PostgreSQL, no round trip at all)."""
    roads = make.department("Дороги")
    card = make.incident(text="Яма у школы", department_id=roads)
    first, first_html = signed_in(app, make, "operator")
    second, second_html = signed_in(app, make, "operator")
    assert move(first, first_html, card, 1, to_status="in_progress").status_code == 200
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    monkeypatch.setitem(app.config, "LOOKUPS_TTL", 60)
    app.extensions.pop("mcu_lane_versions", None)  # read once more, then held for the rest of the test
    assert f'hx-target="#lane-{roads}"' in first.get(poll_url(first_html), headers=HX).get_data(as_text=True)
    assert second.get(poll_url(second_html), headers=HX).status_code == 200  # the person is now held
    with Recorder(app) as seen:
        body = second.get(poll_url(second_html), headers=HX).get_data(as_text=True)
    assert f'hx-target="#lane-{roads}"' in body and f'id="incident-{card}"' in body
    assert seen.statements == [], seen.statements


def poll_after_a_change_to(app, make, watcher, role, change, card):
    """The watcher's poll after the process held them and then ``change`` was made to the ``role`` user; a card is
    moved before each poll, so both are changed polls."""
    client, html = watcher
    mover, mover_html = signed_in(app, make, "admin")
    assert move(mover, mover_html, card, 1, to_status="in_progress").status_code == 200
    assert client.get(poll_url(html), headers=HX).status_code == 200  # the process holds the person now
    with app.app_context():
        change(db.session.scalars(db.select(User).filter_by(role=role)).one())
        db.session.commit()
    assert move(mover, mover_html, card, 2, to_status="new").status_code == 200
    return client.get(poll_url(html), headers=HX)


def test_a_person_switched_off_gets_no_lanes_from_their_next_changed_poll(app, make):
    card = make.incident(department_id=make.department("Дороги"))
    response = poll_after_a_change_to(app, make, signed_in(app, make, "operator"), "operator",
                                      lambda user: setattr(user, "active", False), card)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert f'id="incident-{card}"' not in response.get_data(as_text=True)


def test_a_head_moved_to_another_department_sees_that_lane_from_the_next_changed_poll(app, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    bus = make.incident(text="Автобус не пришёл", department_id=transport)
    card = make.incident(department_id=roads)
    response = poll_after_a_change_to(app, make, signed_in(app, make, "head", "Дороги"), "head",
                                      lambda user: setattr(user, "department_id", transport), card)
    body = response.get_data(as_text=True)
    assert f'id="lane-{transport}"' in body and f'id="incident-{bus}"' in body
    assert f'id="lane-{roads}"' not in body


def test_a_renamed_topic_shows_on_a_card_drawn_before_the_rename(app, make):
    """A card's markup is kept per process; the names it shows are part of what it is kept by, so a rename (which
    steps every lane) brings the new name, not the card as drawn before."""
    from mcu.lanes import bump_every_lane
    from mcu.models import Topic

    roads = make.department("Дороги")
    card = make.incident(text="Яма у школы", department_id=roads, topic_id=make.topic("Дороги"))
    operator, html = signed_in(app, make, "operator")

    def shown(page: str) -> str:  # the card's own markup (the filter form lists the topics too)
        start = page.index(f'id="incident-{card}"')
        return page[start:page.index("</li>", start)]

    assert "Дороги" in shown(html)
    with app.app_context():
        db.session.get(Topic, make.topic("Дороги")).name = "Дороги и тротуары"
        bump_every_lane()
        db.session.commit()
    assert "Дороги и тротуары" in shown(operator.get("/board").get_data(as_text=True))
