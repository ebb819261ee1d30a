"""Hostile text in every field a card shows is escaped by the board's card renderer (an f-string, not Jinja),
over HTTP: on the full board, in the lanes a poll returns and in the cells a move redraws."""
import re
from html import escape

import pytest

from mcu.extensions import db
from mcu.models import Channel, Topic, User

PAYLOADS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)"]


def hostile_card(app, make, payload: str) -> int:
    """A card whose topic, channel, platform, text and assignee all carry the payload."""
    department = make.department("Дороги")
    worker = make.user("field", "Дороги", name="Исполнитель " + payload)
    with app.app_context():
        topic = Topic(name="Тема " + payload, department_id=department)
        channel = Channel(code="hostile", name="Канал " + payload, position=99)
        db.session.add_all([topic, channel])
        db.session.commit()
        topic_id, channel_id = topic.id, channel.id
    return make.incident(text="Текст " + payload, platform="Сеть " + payload, topic_id=topic_id,
                         channel_id=channel_id, assignee_id=worker, department_id=department)


def assert_escaped(html: str, payload: str) -> None:
    assert payload not in html
    for field in ("Тема", "Текст", "Исполнитель"):
        assert f"{field} {escape(payload)}" in html, field
    assert f"Канал {escape(payload)} · Сеть {escape(payload)}" in html


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_card_field_is_escaped_on_the_board(app, client, auth, make, payload):
    hostile_card(app, make, payload)
    auth.as_role(make, "operator")
    assert_escaped(client.get("/board").get_data(as_text=True), payload)
    lanes = client.get("/board", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert_escaped(lanes, payload)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_card_field_is_escaped_in_the_cells_a_move_redraws(app, client, auth, make, payload):
    incident_id = hostile_card(app, make, payload)
    auth.as_role(make, "admin")
    board = client.get("/board").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', board).group(1)
    response = client.post(f"/incidents/{incident_id}/move", data={"version": 1, "to_status": "in_progress"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert_escaped(response.get_data(as_text=True), payload)


def test_the_assignee_name_is_the_users_name(app, make):
    """Guards the factory above: the hostile name really is stored as typed."""
    user_id = make.user("field", "Дороги", name="Исполнитель <b>")
    with app.app_context():
        assert db.session.get(User, user_id).name == "Исполнитель <b>"
