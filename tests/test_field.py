"""Field work over HTTP: a field worker lands on «Мои задачи» (only their open tasks, most urgent first, with map
links), marks progress in steps the head sees on the board, hands a task back with a reason, and a send repeated
after a lost answer is carried out once; the head's answer dialog keeps its text on a conflict."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Auth, csrf_from
from fieldtools import hidden_fields
from sqlalchemy import select

from mcu.extensions import db
from mcu.field.tasks import map_links, time_left
from mcu.models import Comment, Event, Incident

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


def lines(app, incident_id, kind):
    with app.app_context():
        return [(e.from_value, e.to_value, e.reason) for e in db.session.scalars(
            select(Event).where(Event.incident_id == incident_id, Event.kind == kind).order_by(Event.id))]


def stored(app, incident_id) -> Incident:
    with app.app_context():
        return db.session.get(Incident, incident_id)


def send(client, incident_id, headers=None, **fields):
    """A send from the task's form as the browser has it now, with these fields on top."""
    page = client.get(f"/field/tasks/{incident_id}").get_data(as_text=True)
    data = {**hidden_fields(page, f"/field/tasks/{incident_id}"), **fields}
    return client.post(f"/field/tasks/{incident_id}", data=data, headers={**HX, **(headers or {})}), data


def test_a_field_worker_lands_on_my_tasks_and_a_head_on_the_board(client, auth, make):
    worker = make.user("field", "Дороги", login="ivanov")
    head = make.user("head", "Дороги", login="petrova")
    assert worker and head
    response = auth.login("ivanov")
    assert response.status_code == 302 and response.headers["Location"] == "/field/"
    page = client.get("/field/").get_data(as_text=True)
    assert '<a href="/field/">Мои задачи</a>' in page
    assert client.get("/").headers["Location"] == "/field/"
    assert client.get("/login").headers["Location"] == "/field/"
    other = client.application.test_client()
    assert Auth(client.application, other).login("petrova").headers["Location"] == "/board"
    assert "Мои задачи" not in other.get("/board").get_data(as_text=True)
    assert other.get("/field/").status_code == 403


def test_my_tasks_are_only_my_open_ones_most_urgent_first(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    peer = make.user("field", "Дороги")
    now = datetime.now(UTC)
    soon = make.incident(text="Срок через час", assignee_id=me, first_answer_due=now + timedelta(hours=1))
    late = make.incident(text="Срок прошёл вчера", assignee_id=me, first_answer_due=now - timedelta(days=1))
    later = make.incident(text="Срок через три дня", assignee_id=me, status="interim",
                          first_answer_due=now - timedelta(days=2), resolve_due=now + timedelta(days=3))
    undated = make.incident(text="Без срока вовсе", assignee_id=me)
    make.incident(text="Уже отвечено", assignee_id=me, status="answered")
    make.incident(text="Уже решено", assignee_id=me, status="resolved", resolved_at=now)
    make.incident(text="Я отметил выполнено", assignee_id=me, field_step="done")
    make.incident(text="Задача коллеги", assignee_id=peer)
    make.incident(text="Ничья задача")
    page = client.get("/field/").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'<article class="task[^"]*" id="task-(\d+)"', page)]
    assert shown == [late, soon, later, undated]
    for gone in ("Уже отвечено", "Уже решено", "Я отметил выполнено", "Задача коллеги", "Ничья задача"):
        assert gone not in page
    assert "просрочено на 1 д" in page and "осталось 59 мин" in page


def test_time_left_in_words():
    now = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
    assert time_left(now + timedelta(hours=3, minutes=20), now) == ("осталось 3 ч 20 мин", False)
    assert time_left(now - timedelta(days=1, hours=2), now) == ("просрочено на 1 д 2 ч", True)
    assert time_left(now + timedelta(minutes=5), now) == ("осталось 5 мин", False)
    assert time_left(None, now) == ("", False)


def test_map_links_for_a_point_and_for_an_address():
    # Yandex's pt is longitude first; geo: is latitude first (RFC 5870)
    assert map_links(48.480222, 135.071917, "ул. Ленина, 5", "Хабаровск") == {
        "geo": "geo:48.480222,135.071917", "yandex": "https://yandex.ru/maps/?pt=135.071917,48.480222&z=17&l=map"}
    assert map_links(None, None, "ул. Ленина, 5", "Хабаровск") == {
        "geo": "geo:0,0?q=%D0%A5%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%B2%D1%81%D0%BA%2C%20%D1%83%D0%BB.%20"
               "%D0%9B%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0%2C%205",
        "yandex": "https://yandex.ru/maps/?text=%D0%A5%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%B2%D1%81%D0%BA%2C%20"
                  "%D1%83%D0%BB.%20%D0%9B%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0%2C%205"}
    assert map_links(None, None, "Хабаровск, ул. Ленина, 5", "Хабаровск")["yandex"].count("%D0%A5") == 1
    assert map_links(None, None, "  ", "Хабаровск") is None


def test_the_map_links_are_on_the_task(client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    make.incident(assignee_id=me, lat=48.4802, lon=135.0719, address="пл. Ленина")
    make.incident(assignee_id=me, address='ул. Карла Маркса, 1 "А" <b>')
    page = client.get("/field/").get_data(as_text=True)
    assert 'href="geo:48.4802,135.0719"' in page
    assert 'href="https://yandex.ru/maps/?pt=135.0719,48.4802&amp;z=17&amp;l=map"' in page
    assert ('href="https://yandex.ru/maps/?text=%D0%A5%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%B2%D1%81%D0%BA%2C%20%D1%83%D0'
            '%BB.%20%D0%9A%D0%B0%D1%80%D0%BB%D0%B0%20%D0%9C%D0%B0%D1%80%D0%BA%D1%81%D0%B0%2C%201%20%22%D0%90%22%20%3Cb%3E"'
            in page)
    assert "ул. Карла Маркса, 1 &#34;А&#34; &lt;b&gt;" in page


def test_progress_steps_are_history_lines_and_the_head_sees_each_on_the_card(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me, text="Яма у подъезда")
    response, _data = send(client, card, step="on_way")
    assert response.status_code == 200 and "Отмечено: «Выехал»" in response.get_data(as_text=True)
    assert stored(app, card).status == "in_progress"  # the worker is on it
    assert lines(app, card, "status") == [("new", "in_progress", "")]
    send(client, card, step="on_site")
    response, _data = send(client, card, step="done", text="Яму засыпали щебнем")
    assert response.status_code == 200
    assert lines(app, card, "field_step") == [("", "on_way", ""), ("on_way", "on_site", ""), ("on_site", "done", "")]
    assert stored(app, card).field_step == "done"
    head = app.test_client()
    Auth(app, head).as_role(make, "head", "Дороги")
    board = head.get("/board").get_data(as_text=True)
    card_html = board[board.index(f'id="incident-{card}"'):]
    card_html = card_html[:card_html.index("</li>")]
    assert '<span class="card-step step-done">Выполнено</span>' in card_html
    detail = head.get(f"/incidents/{card}").get_data(as_text=True)
    assert "Ход работы</strong>\n        : На месте → Выполнено" in detail
    assert "Яму засыпали щебнем" in detail


@pytest.mark.parametrize("requires, text, refused", [
    ("photo_or_comment", "", "добавьте фото «после» или напишите, что сделано"),
    ("photo", "Сделано", "нужны фото «после»"),
    ("comment", "", "нужны комментарий: что сделано"),
    ("photo_and_comment", "Сделано", "нужны фото «после» и комментарий"),
])
def test_done_asks_for_the_proof_the_setting_names(app, client, auth, make, monkeypatch, requires, text, refused):
    monkeypatch.setitem(app.config, "FIELD_DONE_REQUIRES", requires)
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response, _data = send(client, card, step="done", text=text)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert refused in page and f">{text}</textarea>" in page  # what was typed comes back
    assert stored(app, card).field_step == "" and lines(app, card, "field_step") == []


def test_done_with_a_comment_is_enough_by_default(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response, _data = send(client, card, step="done", text="Люк закрыт")
    assert response.status_code == 200
    assert stored(app, card).field_step == "done"


def test_cannot_do_needs_a_reason_and_hands_the_task_back_to_the_head(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response, _data = send(client, card, step="cannot")
    assert response.status_code == 400 and "Напишите причину" in response.get_data(as_text=True)
    response, _data = send(client, card, step="cannot", text="Нужен экскаватор, у бригады его нет")
    assert response.status_code == 200
    assert "возвращено руководителю" in response.get_data(as_text=True)
    incident = stored(app, card)
    assert incident.assignee_id is None and incident.field_step == "cannot"
    assert lines(app, card, "field_step") == [("", "cannot", "Нужен экскаватор, у бригады его нет")]
    assert client.get(f"/field/tasks/{card}").status_code == 404
    assert f'id="task-{card}"' not in client.get("/field/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Comment.id)) is None  # the reason is the step's, not a comment


def test_the_same_send_twice_is_carried_out_once(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    first, data = send(client, card, step="on_way", text="Выехал, буду через 20 минут")
    again = client.post(f"/field/tasks/{card}", data=data, headers=HX)  # the answer was lost: the same send again
    assert first.status_code == 200 and again.status_code == 200
    assert "Это уже сделано" in again.get_data(as_text=True)
    assert len(lines(app, card, "field_step")) == 1 and len(lines(app, card, "comment")) == 1
    assert client.post(f"/field/tasks/{make.incident(assignee_id=me)}", data=data, headers=HX).status_code == 404


def test_a_step_on_a_card_changed_since_is_a_conflict_that_keeps_the_text(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    page = client.get(f"/field/tasks/{card}").get_data(as_text=True)
    data = {**hidden_fields(page, f"/field/tasks/{card}"), "step": "on_site", "text": "Я на месте, жду бригаду"}
    with app.app_context():  # meanwhile the head edits the card
        db.session.execute(db.update(Incident).where(Incident.id == card).values(version=Incident.version + 1))
        db.session.commit()
    response = client.post(f"/field/tasks/{card}", data=data, headers=HX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "уже изменил" in html and ">Я на месте, жду бригаду</textarea>" in html
    assert f'name="version" value="{stored(app, card).version}"' in html
    assert lines(app, card, "field_step") == []


def test_field_steps_need_the_field_role_and_the_card_in_reach(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    worker = make.user("field", "Дороги")
    card, elsewhere = make.incident(assignee_id=worker), make.incident(department_id=make.department("Транспорт"))
    token = csrf_from(client.get("/board").get_data(as_text=True))
    data = {"step": "on_way", "version": "1", "csrf_token": token}
    assert client.post(f"/field/tasks/{card}", data=data, headers=HX).status_code == 403
    assert client.post(f"/field/tasks/{elsewhere}", data=data, headers=HX).status_code == 404
    assert stored(app, card).field_step == "" and stored(app, elsewhere).field_step == ""


def test_a_reassignment_or_a_lane_change_starts_field_work_afresh(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    worker = make.user("field", "Дороги")
    card = make.incident(assignee_id=worker, field_step="done", version=3)
    page = client.get(f"/incidents/{card}").get_data(as_text=True)
    data = {**hidden_fields(page, f"/incidents/{card}/assign"), "assignee": str(worker)}
    assert client.post(f"/incidents/{card}/assign", data=data).status_code == 302
    assert stored(app, card).field_step == ""  # given again: back in the worker's list


def test_the_heads_answer_dialog_keeps_its_text_on_a_conflict(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    roads = make.department("Дороги")
    card = make.incident(status="in_progress", version=4)
    token = csrf_from(client.get("/board").get_data(as_text=True))
    data = {"csrf_token": token, "version": "3", "to_status": "answered", "text": "Яму заделаем до пятницы, 15 мая",
            "from_status": "in_progress", "from_department": str(roads), "before": "top", "form_token": "dialog-1"}
    response = client.post(f"/incidents/{card}/move", data=data, headers=HX)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    dialog = html[html.index('<hx-partial hx-target="#move-dialog-slot"'):]
    assert '<dialog class="move-dialog"' in dialog and "уже изменил" in dialog
    assert ">Яму заделаем до пятницы, 15 мая</textarea>" in dialog
    assert 'name="version" value="4"' in dialog and 'value="answered" checked' in dialog
    assert stored(app, card).status == "in_progress"
    again = client.post(f"/incidents/{card}/move", data={**data, "version": "4"}, headers=HX)
    assert again.status_code == 200 and stored(app, card).status == "answered"
