"""A user's first minutes with the board, in a real browser on a desktop and on a 390×844 phone:
sign in, read lanes and columns, filter through the form, open a card, bookmark a filtered view."""
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from mcu.extensions import db
from mcu.models import Comment, Department, Event

from .conftest import log_in, login_name

COLUMNS = ["Новое", "В работе", "Промежуточный ответ", "На доработке", "Ответ дан", "Решено"]
LONG_LINK = "https://vk.com/away.php?to=" + "x" * 160  # an unbroken run of text, as citizens paste them
POTHOLE = ("Огромная яма на улице Серышева возле остановки «Стадион», машины объезжают её по встречной полосе, "
           "вечером её совсем не видно, уже два колеса пробиты. Фото по ссылке " + LONG_LINK
           + " Прошу засыпать до конца недели. КОНЕЦ-ТЕКСТА")


@pytest.fixture
def city(app, make):
    """A few messages across departments, topics, channels and statuses, one with history and a comment."""
    now = datetime.now(UTC)
    head = make.user("head", "Дороги", name="Ирина Дорожная")
    ids = {
        "pothole": make.incident(text=POTHOLE, author="Сергей К.", address="ул. Серышева, 22",
                                 url="https://vk.com/wall-1_100", platform="ВКонтакте"),
        "lamp": make.incident(text="Не горит фонарь во дворе дома на Ленина 40", topic_id=make.topic("Уличное освещение"),
                              channel_id=make.channel("direct_mayor"), status="in_progress"),
        "bus": make.incident(text="Автобус 1 не пришёл утром на Карла Маркса", topic_id=make.topic("Общественный транспорт"),
                             department_id=make.department("Транспорт"), channel_id=make.channel("direct_mayor"),
                             status="interim", platform="Telegram"),
        "school": make.incident(text="В школе №5 холодно в классах", topic_id=make.topic("Образование"),
                                department_id=make.department("Образование"), channel_id=make.channel("public"),
                                status="returned"),
        "yard": make.incident(text="Во дворе сломали качели", topic_id=make.topic("Благоустройство"),
                              department_id=make.department("Благоустройство"), status="answered"),
        "drain": make.incident(text="Ливнёвку прочистили, спасибо", topic_id=make.topic("Ливневая канализация"),
                               department_id=make.department("Ливнёвки"), status="resolved",
                               resolved_at=now - timedelta(hours=1)),
    }
    with app.app_context():
        pothole = ids["pothole"]
        db.session.add_all([
            Event(incident_id=pothole, kind="created", to_value="new", created_at=now - timedelta(minutes=50)),
            Event(incident_id=pothole, user_id=head, kind="status", from_value="new", to_value="in_progress",
                  reason="Бригада выехала", created_at=now - timedelta(minutes=20)),
            Comment(incident_id=pothole, user_id=head, text="Засыпем щебнем сегодня", created_at=now),
        ])
        db.session.commit()
        ids["lanes"] = db.session.scalar(db.select(db.func.count(Department.id))) + 1  # + «Не распределено»
    return ids


def card(page, incident_id):
    return page.locator(f"#incident-{incident_id}")


def assert_no_sideways_overflow(page):
    """Nothing on the page is wider than the window: no horizontal scrolling."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide in a {widths[1]}px window"


def boxes(locator):
    return [locator.nth(i).bounding_box() for i in range(locator.count())]


def test_board_shows_lanes_columns_and_cards(app, make, city, any_page, sign_in):
    page = any_page
    sign_in(page)
    lanes = page.locator("#lanes > section.lane")
    expect(lanes).to_have_count(city["lanes"])
    for i in (0, 1, city["lanes"] - 1):
        expect(lanes.nth(i).locator(".cell > .cell-head")).to_contain_text(COLUMNS)
    roads = page.locator("section.lane", has=page.get_by_role("heading", name="Управление дорог и внешнего благоустройства"))
    expect(roads.locator(".status-new .card")).to_have_count(1)
    expect(roads.locator(".status-new")).to_contain_text("улице Серышева")
    expect(roads.locator(".status-in_progress")).to_contain_text("Не горит фонарь")
    expect(card(page, city["bus"])).to_contain_text("Директ мэра · Telegram")
    for name, column in (("bus", "interim"), ("school", "returned"), ("yard", "answered"), ("drain", "resolved")):
        expect(page.locator(f".status-{column} #incident-{city[name]}")).to_be_visible()

    # lanes stack top to bottom on every device; on a desktop a lane's six columns sit side by side
    tops = [(b["y"], b["y"] + b["height"], b["x"]) for b in boxes(lanes)]
    for (top, bottom, left), (next_top, _, next_left) in pairwise(tops):
        assert next_top >= bottom - 1 and abs(next_left - left) < 1
    columns = boxes(lanes.first.locator(".cells > .cell"))
    assert len(columns) == 6
    if page.device == "desktop":
        assert len({round(b["y"]) for b in columns}) == 1
        assert all(b["x"] < n["x"] for b, n in pairwise(columns))
    else:
        assert all(b["y"] + b["height"] <= n["y"] + 1 for b, n in pairwise(columns))
    assert_no_sideways_overflow(page)
    page.watch.assert_clean()


def test_filters_through_the_form_live_in_the_url(app, make, city, any_page, sign_in):
    page = any_page
    sign_in(page)
    form = page.locator("form.filters")
    roads = str(make.department("Дороги"))

    form.locator("select[name=department]").select_option(roads)  # app.js submits on change
    page.wait_for_url(re.compile(rf"department={roads}\b"))
    expect(card(page, city["pothole"])).to_be_visible()
    expect(card(page, city["lamp"])).to_be_visible()
    expect(page.locator("#lanes .card")).to_have_count(2)
    expect(page.locator("#lanes > section.lane")).to_have_count(1)

    form.locator("select[name=topic]").select_option(label="Дороги")
    page.wait_for_url(re.compile(r"topic=\d+"))
    assert parse_qs(urlsplit(page.url).query)["department"] == [roads]
    expect(page.locator("#lanes .card")).to_have_count(1)
    expect(card(page, city["pothole"])).to_be_visible()

    page.get_by_role("link", name="Сбросить").click()
    page.wait_for_url(re.compile(r"/board$"))
    expect(page.locator("#lanes .card")).to_have_count(6)

    form.locator("select[name=channel]").select_option(label="Директ мэра")
    page.wait_for_url(re.compile(r"channel=direct_mayor"))
    expect(page.locator("#lanes .card")).to_have_count(2)
    expect(card(page, city["lamp"])).to_be_visible()
    expect(card(page, city["bus"])).to_be_visible()

    form.locator("input[name=q]").fill("ФОНАРЬ")
    form.locator("input[name=q]").press("Enter")
    page.wait_for_url(re.compile(r"q=%D0%A4"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == ["ФОНАРЬ"] and query["channel"] == ["direct_mayor"]
    expect(page.locator("#lanes .card")).to_have_count(1)
    expect(card(page, city["lamp"])).to_contain_text("Не горит фонарь")
    expect(form.locator("select[name=channel]")).to_have_value("direct_mayor")
    assert_no_sideways_overflow(page)
    page.watch.assert_clean()


def test_bookmarked_filtered_view_opens_filtered(app, make, city, any_page, sign_in):
    page = any_page
    sign_in(page)
    transport = make.department("Транспорт")
    page.goto(f"/board?department={transport}&channel=direct_mayor&q=%D0%B0%D0%B2%D1%82%D0%BE%D0%B1%D1%83%D1%81")
    expect(page.locator("#lanes .card")).to_have_count(1)
    expect(card(page, city["bus"])).to_contain_text("Автобус 1")
    form = page.locator("form.filters")
    expect(form.locator("select[name=department]")).to_have_value(str(transport))
    expect(form.locator("select[name=channel]")).to_have_value("direct_mayor")
    expect(form.locator("input[name=q]")).to_have_value("автобус")
    expect(page.get_by_role("link", name="Сбросить")).to_be_visible()
    assert_no_sideways_overflow(page)
    page.watch.assert_clean()


def test_card_opens_its_detail_and_the_list_reads_well(app, make, city, any_page, sign_in):
    page = any_page
    sign_in(page)
    card(page, city["pothole"]).locator("a").first.click()
    page.wait_for_url(f"**/incidents/{city['pothole']}")
    article = page.locator("article.incident")
    expect(article.locator("h1")).to_have_text("Дороги")
    expect(article.locator(".incident-text .message")).to_have_text(POTHOLE)  # the whole text, not the excerpt
    expect(article.get_by_role("link", name="открыть публикацию")).to_have_attribute("href", "https://vk.com/wall-1_100")
    expect(article.locator(".facts")).to_contain_text("ул. Серышева, 22")
    expect(article.locator(".incident-comments")).to_contain_text("Засыпем щебнем сегодня")
    history = article.locator("ol.history > li")
    expect(history).to_have_count(2)
    expect(history.nth(0)).to_contain_text("Поступило")
    expect(history.nth(1)).to_contain_text("Новое → В работе")
    expect(history.nth(1)).to_contain_text("Ирина Дорожная")
    expect(history.nth(1)).to_contain_text("Бригада выехала")
    assert_no_sideways_overflow(page)
    page.watch.assert_clean()

    page.goto("/incidents/")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("table.list")).to_contain_text("Автобус 1 не пришёл")
    assert_no_sideways_overflow(page)
    rows.filter(has_text="Автобус 1").get_by_role("link").first.click()
    page.wait_for_url(f"**/incidents/{city['bus']}")
    expect(page.locator(".incident-text .message")).to_have_text("Автобус 1 не пришёл утром на Карла Маркса")
    assert_no_sideways_overflow(page)
    page.watch.assert_clean()


def test_wrong_password_in_the_browser_stays_on_the_login_page(app, make, desktop_page):
    page = desktop_page
    login = login_name(app, make.user("operator"))
    page.goto("/board")
    page.wait_for_url(re.compile(r"/login"))
    page.locator("#login").fill(login)
    page.locator("#password").fill("wrong")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный логин или пароль")
    assert "/login" in page.url
    log_in(page, login)
