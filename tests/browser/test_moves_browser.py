"""Moving cards in a real browser: drag and drop, the «Переместить» menu on a phone, an illegal drop that
springs back, the answer asked in place, and two people moving the same card at once."""
from playwright.sync_api import expect

from mcu.extensions import db
from mcu.models import Incident

from .conftest import DESKTOP, log_in, login_name, open_page


def status_of(app, incident_id):
    with app.app_context():
        return db.session.get(Incident, incident_id).status


def cards(page, department_id, status):
    return page.locator(f"#cell-{department_id}-{status} ol.cards")


def test_head_drags_a_card_to_in_progress_and_it_stays(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Яма у школы, перетащите меня")
    sign_in(page, "head", "Дороги")
    card = page.locator(f"#incident-{incident_id}")
    expect(cards(page, roads, "new").locator(f"#incident-{incident_id}")).to_be_visible()
    card.drag_to(cards(page, roads, "in_progress"))
    expect(cards(page, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(page.locator("#board-notice")).to_contain_text("В работе")
    page.reload()
    expect(cards(page, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
    assert status_of(app, incident_id) == "in_progress"
    page.watch.assert_clean()


def test_illegal_drag_springs_back_with_the_message(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Сразу в решённые нельзя")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{incident_id}").drag_to(cards(page, roads, "resolved"))
    expect(page.locator("#board-notice [role=alert]")).to_contain_text("перевести нельзя")
    expect(cards(page, roads, "new").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(cards(page, roads, "resolved").locator(f"#incident-{incident_id}")).to_have_count(0)
    assert status_of(app, incident_id) == "new"


def test_drop_on_answered_asks_for_the_answer_in_place(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Нужен ответ жителю")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{incident_id}").drag_to(cards(page, roads, "answered"))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".move-form textarea[name=text]").fill("Яму засыплем до пятницы")
    dialog.get_by_role("button", name="Переместить").click()
    expect(cards(page, roads, "answered").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(dialog).to_have_count(0)
    assert status_of(app, incident_id) == "answered"


def test_menu_move_on_the_phone(app, make, phone_page, sign_in):
    page = phone_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Двигаю с телефона")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{incident_id} .card-move").tap()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("В работе").check()
    dialog.get_by_role("button", name="Переместить").tap()
    expect(cards(page, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(page.locator(f"#incident-{incident_id} .card-move")).to_be_focused()
    assert status_of(app, incident_id) == "in_progress"
    page.watch.assert_clean()


def test_menu_cancel_and_keyboard(app, make, desktop_page, sign_in):
    page = desktop_page
    incident_id = make.incident(text="Открою меню с клавиатуры")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{incident_id} .card-move").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#move-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#move-dialog")).to_have_count(0)
    assert status_of(app, incident_id) == "new"


def test_two_browsers_move_the_same_card_one_gets_the_conflict(app, make, browser, live_url):
    roads = make.department("Дороги")
    incident_id = make.incident(text="Карточка на двоих")
    first, second = make.user("head", "Дороги", name="Первый Руководитель"), make.user("head", "Дороги")
    ctx_a, page_a = open_page(browser, live_url, DESKTOP)
    ctx_b, page_b = open_page(browser, live_url, DESKTOP)
    try:
        page_b.route("**/board?since=*", lambda route: route.abort())  # B's board stays as first drawn
        log_in(page_a, login_name(app, first))
        log_in(page_b, login_name(app, second))
        page_a.locator(f"#incident-{incident_id}").drag_to(cards(page_a, roads, "in_progress"))
        expect(cards(page_a, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
        # the second board still shows the old version of the card
        page_b.locator(f"#incident-{incident_id}").drag_to(cards(page_b, roads, "in_progress"))
        expect(page_b.locator("#board-notice [role=alert]")).to_contain_text("Первый Руководитель")
        expect(cards(page_b, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
        with app.app_context():
            assert db.session.get(Incident, incident_id).version == 2
    finally:
        ctx_a.close()
        ctx_b.close()


def test_a_reroute_updates_both_lane_headings_at_once(app, make, desktop_page, sign_in, monkeypatch):
    from datetime import UTC, datetime, timedelta
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 3600)  # no poll during the test: the move alone must do it
    page = desktop_page
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    incident_id = make.incident(text="Это про автобус, не про дороги",
                                first_answer_due=datetime.now(UTC) - timedelta(hours=1))
    sign_in(page, "operator")
    roads_head, transport_head = page.locator(f"#lane-{roads}-head"), page.locator(f"#lane-{transport}-head")
    expect(roads_head).to_contain_text("открыто: 1")
    expect(roads_head.locator(".lane-overdue")).to_have_text("просрочено: 1")
    expect(transport_head).to_contain_text("открыто: 0")
    page.locator(f"#incident-{incident_id} .card-move").click()
    dialog = page.locator("#move-dialog")
    dialog.get_by_label("Оставить «Новое»").check()  # the form opens on the next step (issue 14)
    dialog.locator(".move-form select[name=to_department]").select_option(str(transport))
    dialog.locator(".move-form textarea[name=text]").fill("Маршрут автобуса — Транспорт")
    dialog.get_by_role("button", name="Переместить").click()
    expect(cards(page, transport, "new").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(roads_head).to_contain_text("открыто: 0")
    expect(roads_head.locator(".lane-overdue")).to_have_count(0)
    expect(transport_head).to_contain_text("открыто: 1")
    expect(transport_head.locator(".lane-overdue")).to_have_text("просрочено: 1")
    page.watch.assert_clean()


def test_a_head_returns_a_misrouted_card_and_their_lane_count_drops(app, make, desktop_page, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 3600)  # the move alone must update the heading
    page = desktop_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Это не про дороги, а про школу")
    make.incident(text="А это про дороги")
    sign_in(page, "head", "Дороги")
    head = page.locator(f"#lane-{roads}-head")
    expect(head).to_contain_text("открыто: 2")
    page.locator(f"#incident-{incident_id} .card-move").click()
    dialog = page.locator("#move-dialog")
    dialog.locator(".move-form select[name=to_department]").select_option("unrouted")
    dialog.locator(".move-form textarea[name=text]").fill("Это вопрос образования")
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator(f"#incident-{incident_id}")).to_have_count(0)
    expect(head).to_contain_text("открыто: 1")
    page.watch.assert_clean()  # the operator's lane is not on this board: its redraw is simply not placed
