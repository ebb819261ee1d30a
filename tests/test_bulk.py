"""Bulk work over HTTP (issue 14): several cards, one action, all or nothing — take into work, assign, reroute,
merge as duplicates of one, answer with a template; a stale, refused or unreachable card is named and nothing
changes; one form sent twice is carried out once; the size is bounded."""
import pytest
from sqlalchemy import select
from test_moves import events, get, post

from mcu.extensions import db
from mcu.models import Event, LaneState
from mcu.shortcuts.models import AnswerTemplate


def bulk(client, action, cards, **fields):
    data = {"action": action, "card": [f"{i}:{v}" for i, v in cards], **fields}
    return post(client, "/incidents/bulk", data)


def lane_version(department_id) -> int:
    return db.session.scalar(select(LaneState.version).where(LaneState.lane == str(department_id))) or 0


def event_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Event)).all())


def test_a_head_takes_three_cards_into_work_at_once_each_with_its_history(app, client, auth, make):
    cards = [make.incident(text=f"Яма {n}") for n in range(3)]
    auth.as_role(make, "head", "Дороги")
    response = bulk(client, "take", [(c, 1) for c in cards])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "изменено карточек — 3" in response.get_data(as_text=True)
    for card in cards:
        assert get(app, card).status == "in_progress" and get(app, card).version == 2
        assert [e[:3] for e in events(app, card)] == [("status", "new", "in_progress")]
    # every open screen sees it: the lane's version stepped (once for the whole batch), in the same transaction
    roads = make.department("Дороги")
    with app.app_context():
        assert response.headers["X-MCU-Lanes"] == f"{roads}.{lane_version(roads)}"
        assert lane_version(roads) >= 1


def test_one_stale_card_refuses_the_whole_action_and_names_it(app, client, auth, make):
    first, stale, third = (make.incident() for _ in range(3))
    auth.as_role(make, "head", "Дороги")
    before = event_count(app)
    response = bulk(client, "take", [(first, 1), (stale, 0), (third, 1)])
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f"№{stale}" in body and f"№{first}," not in body and "ничего не изменено" in body
    assert [get(app, c).status for c in (first, stale, third)] == ["new"] * 3
    assert event_count(app) == before


def test_a_card_the_verb_refuses_midway_rolls_back_the_cards_before_it(app, client, auth, make):
    first = make.incident()
    answered = make.incident(status="answered")
    auth.as_role(make, "head", "Дороги")
    response = bulk(client, "take", [(first, 1), (answered, 1)])
    assert response.status_code == 400
    assert f"№{answered}" in response.get_data(as_text=True)
    assert get(app, first).status == "new" and get(app, first).version == 1  # the first one's write undone
    assert events(app, first) == []


def test_a_head_cannot_reach_another_departments_card_in_a_bulk_action(app, client, auth, make):
    own = make.incident()
    other = make.incident(department_id=make.department("Транспорт"))
    auth.as_role(make, "head", "Дороги")
    response = bulk(client, "take", [(own, 1), (other, 1)])
    assert response.status_code == 404 and f"№{other}" in response.get_data(as_text=True)
    assert get(app, own).status == "new"


def test_a_head_assigns_and_answers_many_cards_with_one_template(app, client, auth, make):
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги", name="Павел Ремизов")
    cards = [make.incident(address=f"ул. Ленина, {n}") for n in (1, 2)]
    with app.app_context():
        template = AnswerTemplate(department_id=roads, title="Выезд", body="№{номер}: бригада выедет на {адрес}.")
        db.session.add(template)
        db.session.commit()
        template_id = template.id
    auth.as_role(make, "head", "Дороги")
    assert bulk(client, "assign", [(c, 1) for c in cards], assignee=str(worker)).status_code == 200
    assert [get(app, c).assignee_id for c in cards] == [worker, worker]
    response = bulk(client, "answer", [(c, 2) for c in cards], template=str(template_id), kind="interim")
    assert response.status_code == 200, response.get_data(as_text=True)
    for card, n in zip(cards, (1, 2), strict=True):
        assert get(app, card).status == "interim"
        assert get(app, card).answer_text == f"№{card}: бригада выедет на ул. Ленина, {n}."


def test_an_operator_reroutes_and_merges_in_bulk_and_a_head_may_not(app, client, auth, make):
    transport = make.department("Транспорт")
    a, b = make.incident(), make.incident()
    original, dup1, dup2 = make.incident(), make.incident(), make.incident()
    auth.as_role(make, "head", "Дороги")
    assert bulk(client, "route", [(a, 1)], to_department=str(transport), text="не наше").status_code == 403
    assert bulk(client, "merge", [(dup1, 1)], original=str(original)).status_code == 403
    client.post("/logout", headers={"X-CSRFToken": __import__("test_moves").token(client)})
    auth.as_role(make, "operator")
    refused = bulk(client, "route", [(a, 1), (b, 1)], to_department=str(transport))
    assert refused.status_code == 400 and "причину" in refused.get_data(as_text=True)
    assert get(app, a).department_id != transport
    assert bulk(client, "route", [(a, 1), (b, 1)], to_department=str(transport), text="Маршруты").status_code == 200
    assert get(app, a).department_id == transport and get(app, b).department_id == transport
    response = bulk(client, "merge", [(original, 1), (dup1, 1), (dup2, 1)], original=str(original))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert get(app, dup1).duplicate_of_id == original and get(app, dup2).duplicate_of_id == original
    assert get(app, original).duplicate_of_id is None and get(app, original).status == "new"


def test_the_same_bulk_form_sent_twice_is_carried_out_once(app, client, auth, make):
    cards = [make.incident(), make.incident()]
    auth.as_role(make, "head", "Дороги")
    first = bulk(client, "take", [(c, 1) for c in cards], form_token="bulk-once-1")
    assert first.status_code == 200
    before = event_count(app)
    again = bulk(client, "take", [(c, 1) for c in cards], form_token="bulk-once-1")
    assert again.status_code == 200 and "уже сделано" in again.get_data(as_text=True)
    assert event_count(app) == before


@pytest.mark.parametrize("fields, expected", [
    ({"action": "nonsense"}, "Такого действия нет"),
    ({"action": "take", "card": ["1:x"]}, "обновите страницу"),
    ({"action": "take"}, "Выберите карточки"),
    ({"action": "assign", "card": ["1:1"], "assignee": "abc"}, "Такого сотрудника нет"),
    ({"action": "answer", "card": ["1:1"], "template": "999"}, "Такого шаблона нет"),
])
def test_bad_bulk_input_gets_a_russian_message_and_changes_nothing(app, client, auth, make, fields, expected):
    make.incident()
    auth.as_role(make, "head", "Дороги")
    response = post(client, "/incidents/bulk", fields)
    assert response.status_code == 400 and expected in response.get_data(as_text=True)
    assert get(app, 1).version == 1


def test_bulk_size_is_bounded_by_a_setting(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "BULK_MAX_CARDS", 2)
    cards = [make.incident() for _ in range(3)]
    auth.as_role(make, "head", "Дороги")
    response = bulk(client, "take", [(c, 1) for c in cards])
    assert response.status_code == 400 and "не больше 2" in response.get_data(as_text=True)
    assert all(get(app, c).status == "new" for c in cards)
