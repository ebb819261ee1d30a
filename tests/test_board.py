"""The board as a department head and an operator see it over HTTP."""
import re
from datetime import UTC, datetime, timedelta

import pytest

from mcu.extensions import db
from mcu.models import Event


def test_board_needs_login(client):
    response = client.get("/board")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_htmx_request_from_expired_session_gets_hx_redirect(client):
    response = client.get("/board", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert "<form" not in response.get_data(as_text=True)


def test_wrong_password_gets_russian_message(auth, make):
    make.user("operator", login="olga")
    response = auth.login("olga", "wrong")
    assert response.status_code == 401
    assert "Неверный логин или пароль" in response.get_data(as_text=True)
    response = auth.login("nobody", "wrong")
    assert "Неверный логин или пароль" in response.get_data(as_text=True)


def test_board_shows_lanes_columns_and_card(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Огромная яма на улице Серышева возле остановки", platform="Telegram")
    html = client.get("/board").get_data(as_text=True)
    for column in ("Новое", "В работе", "Промежуточный ответ", "На доработке", "Ответ дан", "Решено"):
        assert column in html
    for lane in ("Управление дорог и внешнего благоустройства", "Управление транспорта"):
        assert lane in html
    assert "Огромная яма на улице Серышева" in html
    assert "Инцидент-менеджмент ЦУР · Telegram" in html


def test_card_shows_assignee_deadline_and_age(client, auth, make):
    auth.as_role(make, "operator")
    worker = make.user("field", "Дороги", name="Павел Ремнёв")
    due = datetime(2030, 5, 6, 2, 30, tzinfo=UTC)  # 12:30 in Vladivostok
    make.incident(assignee_id=worker, first_answer_due=due, status="in_progress",
                  received_at=datetime.now(UTC) - timedelta(hours=5))
    html = client.get("/board").get_data(as_text=True)
    assert "Павел Ремнёв" in html
    assert "до 06.05 12:30" in html
    assert ">5 ч<" in html


def test_overdue_card_is_marked(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(first_answer_due=datetime.now(UTC) - timedelta(hours=1))
    html = client.get("/board").get_data(as_text=True)
    assert 'class="card overdue' in html
    assert "просрочено: 1" in html


def test_solved_cards_show_only_last_24_hours(client, auth, make):
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    make.incident(text="Свежее решённое", status="resolved", resolved_at=now - timedelta(hours=2))
    make.incident(text="Старое решённое", status="resolved", resolved_at=now - timedelta(days=3))
    make.incident(text="Отклонённое сообщение", status="rejected")
    html = client.get("/board").get_data(as_text=True)
    assert "Свежее решённое" in html
    assert "Старое решённое" not in html
    assert "Отклонённое сообщение" not in html
    assert "все решённые" in html
    listing = client.get("/incidents/?status=resolved").get_data(as_text=True)
    assert "Старое решённое" in listing and "Свежее решённое" in listing
    rejected = client.get("/incidents/?status=rejected").get_data(as_text=True)
    assert "Отклонённое сообщение" in rejected


def test_filters_live_in_the_url(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Про дорогу на Ленина")
    make.incident(text="Автобус не пришёл", topic_id=make.topic("Общественный транспорт"),
                  department_id=make.department("Транспорт"), channel_id=make.channel("direct_mayor"))
    transport = make.department("Транспорт")
    html = client.get(f"/board?department={transport}").get_data(as_text=True)
    assert "Автобус не пришёл" in html and "Про дорогу на Ленина" not in html
    html = client.get(f"/board?topic={make.topic('Дороги')}").get_data(as_text=True)
    assert "Про дорогу на Ленина" in html and "Автобус не пришёл" not in html
    html = client.get("/board?channel=direct_mayor").get_data(as_text=True)
    assert "Автобус не пришёл" in html and "Про дорогу на Ленина" not in html
    html = client.get("/board?q=АВТОБУС").get_data(as_text=True)
    assert "Автобус не пришёл" in html and "Про дорогу на Ленина" not in html
    assert 'value="АВТОБУС"' in html


def test_search_reads_wildcards_as_punctuation(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Обычный текст")
    make.incident(text="Скидка 50% на проезд")
    make.incident(text="Файл plan_2021 не открывается")
    html = client.get("/board?q=50%25").get_data(as_text=True)
    assert "Обычный текст" not in html and "Скидка 50% на проезд" in html
    html = client.get("/board?q=plan_2021").get_data(as_text=True)
    assert "Обычный текст" not in html and "Файл plan_2021 не открывается" in html
    response = client.get("/board?q=%25_")  # no word at all: a notice, and no text filter
    assert response.status_code == 400 and "Обычный текст" in response.get_data(as_text=True)


def test_unrouted_lane(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Непонятно куда", department_id=None, topic_id=None)
    html = client.get("/board?department=none").get_data(as_text=True)
    assert "Не распределено" in html and "Непонятно куда" in html


# (query, what the person reads): each value is refused with a 400 and its own Russian notice, the rest applies
BAD_FILTERS = [
    ("department=abc", "Подразделение «abc» не найдено, фильтр не применён."),
    ("department=99999", "Подразделение «99999» не найдено, фильтр не применён."),
    ("department=²", "Подразделение «²» не найдено, фильтр не применён."),
    ("department=1&department=abc", "Подразделение «abc» не найдено, фильтр не применён."),
    ("topic=-1", "Тематика «-1» не найдена, фильтр не применён."),
    ("topic=1e9", "Тематика «1e9» не найдена, фильтр не применён."),
    ("topic=%D9%A3", "Тематика «٣» не найдена, фильтр не применён."),
    ("channel=nope", "Канал «nope» не найден, фильтр не применён."),
    ("channel=<b>x</b>", "Канал «&lt;b&gt;x&lt;/b&gt;» не найден, фильтр не применён."),
    ("q=" + "я" * 500, "Строка поиска длиннее 200 символов и обрезана."),
]


@pytest.mark.parametrize(("query", "notice"), BAD_FILTERS, ids=[q[:30] for q, _n in BAD_FILTERS])
def test_unknown_filter_values_get_a_400_and_a_russian_notice(client, auth, make, query, notice):
    auth.as_role(make, "operator")
    make.incident(text="Яма у школы")
    response = client.get("/board?" + query)
    html = response.get_data(as_text=True)
    assert response.status_code == 400, query
    assert f'<p class="notice notice-error" role="alert">{notice}</p>' in html
    assert "<b>x</b>" not in html
    assert "Яма у школы" in html or query.startswith("q=")  # the board is still shown, other filters apply


def test_a_good_filter_beside_a_bad_one_still_applies(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Яма у школы", department_id=make.department("Дороги"))
    make.incident(text="Автобус опоздал", department_id=make.department("Транспорт"))
    html = client.get(f"/board?department={make.department('Транспорт')}&topic=abc").get_data(as_text=True)
    assert "Автобус опоздал" in html and "Яма у школы" not in html
    assert "Тематика «abc» не найдена" in html


def test_the_list_refuses_a_page_that_is_not_a_number(client, auth, make):
    auth.as_role(make, "operator")
    for page in ("abc", "²", "0", "99999999999999999999"):
        response = client.get("/incidents/?page=" + page)
        assert response.status_code == 400, page
        assert f"Страницы «{page}» нет, показана первая." in response.get_data(as_text=True)


def test_malformed_query_strings_never_500(client, auth, make):
    auth.as_role(make, "operator")
    for path in ("/board?%", "/board?department=%ff%fe", "/board?q=%00", "/incidents/?page=0",
                 "/incidents/?page=99999999999999999999", "/incidents/?status=bogus", "/board?&&&=&",
                 "/incidents/?department=%E0%A4%A"):
        response = client.get(path)
        assert response.status_code in (200, 400), path


def test_bad_incident_ids_are_404_in_russian(client, auth, make):
    auth.as_role(make, "operator")
    for path in ("/incidents/999999", "/incidents/abc", "/incidents/-1", "/incidents/1.5", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Такой страницы или сообщения нет" in response.get_data(as_text=True)


def test_detail_shows_text_link_answer_comments_history(client, auth, make, app):
    auth.as_role(make, "operator")
    long_text = "Начало сообщения. " + "Очень длинный текст о проблеме во дворе. " * 20 + "Конец сообщения."
    incident_id = make.incident(text=long_text, url="https://vk.com/wall-1_2", answer_text="Ответ дан жителю.")
    with app.app_context():
        db.session.add(Event(incident_id=incident_id, kind="status", from_value="new", to_value="in_progress",
                             reason="взято в работу"))
        db.session.commit()
    html = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "Конец сообщения." in html
    assert 'href="https://vk.com/wall-1_2"' in html
    assert "Ответ дан жителю." in html
    assert "Новое → В работе" in html and "взято в работу" in html


def test_javascript_link_is_not_a_link(client, auth, make):
    auth.as_role(make, "operator")
    incident_id = make.incident(url="javascript:alert(1)")
    html = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert 'href="javascript:' not in html


def test_head_sees_only_their_department(client, auth, make):
    auth.as_role(make, "head", "Транспорт")
    make.incident(text="Про дорогу")
    other = make.incident(text="Про автобус", department_id=make.department("Транспорт"),
                          topic_id=make.topic("Общественный транспорт"))
    html = client.get("/board").get_data(as_text=True)
    assert "Про автобус" in html and "Про дорогу" not in html
    roads_card = make.incident(text="Ещё про дорогу")
    assert client.get(f"/incidents/{roads_card}").status_code == 404
    assert client.get(f"/incidents/{other}").status_code == 200


def test_field_worker_sees_only_assigned(client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    make.incident(text="Моя заявка", assignee_id=me)
    make.incident(text="Чужая заявка")
    html = client.get("/board").get_data(as_text=True)
    assert "Моя заявка" in html and "Чужая заявка" not in html


def test_times_in_city_timezone(client, auth, make):
    auth.as_role(make, "operator")
    incident_id = make.incident(received_at=datetime(2026, 1, 10, 0, 5, tzinfo=UTC))
    html = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "10.01.2026 10:05" in html


def test_htmx_board_request_returns_only_lanes(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Карточка для частичного обновления")
    response = client.get("/board", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "Карточка для частичного обновления" in html
    assert "<html" not in html and 'id="lanes"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_nul_bytes_in_queries_and_forms_get_a_russian_400(client, auth, make):
    auth.as_role(make, "operator")
    for path in ("/board?q=%00", "/board?q=яма%00", "/incidents/?q=%00&status=new"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "недопустимый символ" in response.get_data(as_text=True)
    response = client.post("/login", data={"login": "a\x00b", "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("body", [b"text=%FF%FE%FD", b"text=\xff\xfe", "text=Яма".encode("cp1251")])
def test_a_form_that_is_not_utf8_is_refused_saying_so_not_as_a_stale_page(app, client, auth, make, body):
    auth.as_role(make, "operator")
    incident_id = make.incident()
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/board").get_data(as_text=True)).group(1)
    response = client.post(f"/incidents/{incident_id}/comment", data=body + b"&csrf_token=" + token.encode(),
                           content_type="application/x-www-form-urlencoded")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "символы не в кодировке UTF-8" in html and "Страница устарела" not in html
    good = client.post(f"/incidents/{incident_id}/comment", data="text=Яма%20у%20дома&csrf_token=".encode() + token.encode(),
                       content_type="application/x-www-form-urlencoded")
    assert good.status_code == 302  # a proper form still goes through


def test_a_query_that_is_not_utf8_is_refused_saying_so(client, auth, make):
    auth.as_role(make, "operator")
    response = client.get("/board?q=%E0%A4%A")
    assert response.status_code == 400
    assert "символы не в кодировке UTF-8" in response.get_data(as_text=True)
