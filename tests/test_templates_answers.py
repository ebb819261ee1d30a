"""Answer templates (issue 14): admins keep every one, heads their department's; placeholders filled per message,
an unknown one refused in Russian; the card's menu offers the department's and the city-wide ones, escaped."""
from datetime import UTC, datetime

import pytest
from test_moves import token

from mcu.extensions import db
from mcu.models import Incident
from mcu.shortcuts.models import AnswerTemplate
from mcu.shortcuts.service import ShortcutError, fill
from mcu.timefmt import city_tz


def templates(app):
    with app.app_context():
        return [(t.department_id, t.title, t.body)
                for t in db.session.scalars(db.select(AnswerTemplate).order_by(AnswerTemplate.id))]


def send(client, **data):
    return client.post("/answer-templates/", data=data, headers={"X-CSRFToken": token(client)})


def test_placeholders_are_filled_from_the_message(app, make):
    incident_id = make.incident(address="ул. Карла Маркса, 10", author="Иван Петров",
                                received_at=datetime(2026, 3, 4, 1, 0, tzinfo=UTC))
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        text = fill("№{номер}, {адрес}, {автор}, {дата_сообщения}, {дата}, { подразделение }.", incident, city_tz(),
                    now=datetime(2026, 3, 5, 20, 0, tzinfo=UTC))
    assert text == (f"№{incident_id}, ул. Карла Маркса, 10, Иван Петров, 04.03.2026, 06.03.2026, "
                    "Управление дорог и внешнего благоустройства.")


@pytest.mark.parametrize("body, named", [("Здравствуйте, {имя}!", "«имя»"), ("Срок {дата", "«{»"),
                                         ("{}", "«»"), ("адрес}", "«}»")])
def test_an_unknown_placeholder_is_refused_with_the_known_ones_listed(app, make, body, named):
    incident_id = make.incident()
    with app.app_context(), pytest.raises(ShortcutError) as refused:
        fill(body, db.session.get(Incident, incident_id), city_tz())
    assert named in refused.value.notice and "{адрес}" in refused.value.notice


def test_a_head_keeps_their_departments_templates_only(app, client, auth, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    auth.as_role(make, "head", "Дороги")
    assert client.get("/answer-templates/").status_code == 200
    response = send(client, title="Выезд", body="Бригада выедет по адресу {адрес}.", department=str(transport))
    assert response.status_code == 303
    assert templates(app) == [(roads, "Выезд", "Бригада выедет по адресу {адрес}.")]  # their own, whatever sent
    with app.app_context():
        db.session.add_all([AnswerTemplate(department_id=transport, title="Чужой", body="x"),
                            AnswerTemplate(department_id=None, title="Общий", body="y")])
        db.session.commit()
    page = client.get("/answer-templates/").get_data(as_text=True)
    assert "Выезд" in page and "Чужой" not in page and "Общий" not in page
    for template_id in (2, 3):  # another department's, and a city-wide one: not theirs to change
        assert send(client, template=str(template_id), title="Моё", body="z").status_code == 404
        assert client.post(f"/answer-templates/{template_id}/delete",
                           headers={"X-CSRFToken": token(client)}).status_code == 404
    assert [t[1] for t in templates(app)] == ["Выезд", "Чужой", "Общий"]


def test_a_bad_template_is_shown_again_as_typed_with_the_reason(app, client, auth, make):
    auth.as_role(make, "admin")
    response = send(client, title="Ответ <b>", body="Здравствуйте, {имя}! <script>alert(1)</script>", department="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Неизвестная подстановка «имя»" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert templates(app) == []
    assert send(client, title="", body="текст").status_code == 400
    assert send(client, title="Общий", body="Спасибо, {автор}!", department="").status_code == 303
    assert templates(app) == [(None, "Общий", "Спасибо, {автор}!")]


@pytest.mark.parametrize("role", ["operator", "field", "viewer"])
def test_other_roles_do_not_keep_templates(app, client, auth, make, role):
    auth.as_role(make, role, "Дороги" if role == "field" else None)
    assert client.get("/answer-templates/").status_code == 403
    assert send(client, title="x", body="y").status_code == 403
    assert templates(app) == []


def test_the_card_menu_offers_own_and_city_wide_templates_filled_and_escaped(app, client, auth, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    incident_id = make.incident(address='ул. "Ленина" <5>')
    with app.app_context():
        db.session.add_all([AnswerTemplate(department_id=roads, title="Наш", body="По адресу {адрес} выедем."),
                            AnswerTemplate(department_id=transport, title="Чужой", body="нет"),
                            AnswerTemplate(department_id=None, title="Общий <i>", body="Спасибо, №{номер}.")])
        db.session.commit()
    auth.as_role(make, "head", "Дороги")
    menu = client.get(f"/incidents/{incident_id}/move", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-body="По адресу ул. &#34;Ленина&#34; &lt;5&gt; выедем."' in menu
    assert f'data-body="Спасибо, №{incident_id}."' in menu and "Общий &lt;i&gt;" in menu
    assert "Чужой" not in menu


def test_after_an_interim_answer_the_answer_boxes_start_empty(app, client, auth, make):
    incident_id = make.incident(status="interim", answer_text="Промежуточно: бригада выедет завтра")
    auth.as_role(make, "head", "Дороги")
    detail = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert 'required></textarea>' in detail and "Промежуточно: бригада выедет завтра</textarea>" not in detail
    menu = client.get(f"/incidents/{incident_id}/move", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "бригада выедет завтра</textarea>" not in menu
    # a final answer, once given, is there to be corrected
    final = make.incident(status="answered", answer_text="Яму заделали")
    assert "Яму заделали</textarea>" in client.get(f"/incidents/{final}").get_data(as_text=True)


def test_the_assign_menu_counts_each_workers_open_messages_only(app, client, auth, make):
    roads = make.department("Дороги")
    anna = make.user("field", "Дороги", name="Анна Занятая")
    make.user("field", "Транспорт", name="Чужой Исполнитель")
    for status in ("new", "in_progress", "answered"):
        make.incident(assignee_id=anna, status=status)
    make.incident(assignee_id=anna, status="resolved")
    original = make.incident()
    make.incident(assignee_id=anna, status="rejected", duplicate_of_id=original)
    card = make.incident(department_id=roads)
    auth.as_role(make, "head", "Дороги")
    menu = client.get(f"/incidents/{card}/move", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Анна Занятая</span> <small class=\"muted\">открыто: 3</small>" in menu
    assert "Чужой Исполнитель" not in menu
