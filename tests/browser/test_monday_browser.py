"""A head's Monday in a real browser (issue 14): one tap from the card's menu to take, assign and answer with a
template; an operator's reroute; the move dialog's manners; bulk selection; saved views; every column on screen
at 1024, 1366 and 1920 px."""
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from mcu.extensions import db
from mcu.models import Event, Incident
from mcu.shortcuts.models import AnswerTemplate


def cell(page, department_id, status):
    return page.locator(f"#cell-{department_id}-{status} ol.cards")


def stored(app, incident_id):
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        db.session.expunge(incident)
        return incident


def open_menu(page, incident_id):
    page.locator(f"#incident-{incident_id} .card-move").click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    return dialog


def add_template(app, department_id, title, body):
    with app.app_context():
        db.session.add(AnswerTemplate(department_id=department_id, title=title, body=body))
        db.session.commit()


def test_head_takes_assigns_and_answers_from_the_card_menu(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги", name="Павел Ремизов-Старобельский")
    busy = make.user("field", "Дороги", name="Анна Занятая")
    make.incident(text="Уже у Анны", assignee_id=busy, status="in_progress")
    incident_id = make.incident(text="Яма во дворе, нужен выезд", address="ул. Ленина, 5")
    add_template(app, roads, "Выезд бригады", "Сообщение №{номер}: по адресу {адрес} бригада выедет {дата}.")
    add_template(app, None, "Общий <b>шаблон</b>", "Спасибо, <script>x</script> {номер}")
    sign_in(page, "head", "Дороги")

    # «Взять в работу»: two taps (menu, button)
    open_menu(page, incident_id).get_by_role("button", name="Взять в работу").click()
    expect(cell(page, roads, "in_progress").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(page.locator("#move-dialog")).to_have_count(0)
    assert stored(app, incident_id).status == "in_progress"

    # «Назначить…»: the department's field staff, each with their open messages
    dialog = open_menu(page, incident_id)
    dialog.get_by_text("Назначить…").click()
    expect(dialog.locator(".staff label", has_text="Анна Занятая")).to_contain_text("открыто: 1")
    expect(dialog.locator(".staff label", has_text="Павел")).to_contain_text("открыто: 0")
    dialog.get_by_label("Павел Ремизов-Старобельский").check()
    dialog.get_by_role("button", name="Назначить", exact=True).click()
    expect(page.locator("#move-dialog")).to_have_count(0)
    assignee = page.locator(f"#incident-{incident_id} .card-assignee")
    expect(assignee).to_have_text("Павел Ремизов-Старобельский")
    assert stored(app, incident_id).assignee_id == worker
    # the whole name fits at 1440 px: not cut to «Павел Ре…»
    assert assignee.evaluate("e => e.scrollWidth <= e.clientWidth")

    # «Ответить…» with a template: the message's facts filled in, markup in a template shown as text
    dialog = open_menu(page, incident_id)
    dialog.get_by_text("Ответить…").click()
    options = dialog.locator("select.answer-template option")
    expect(options).to_have_count(3)
    expect(options.nth(1)).to_have_text("Выезд бригады")  # the department's first, then the city-wide ones
    expect(options.nth(2)).to_have_text("Общий <b>шаблон</b>")
    dialog.locator("select.answer-template").select_option(label="Выезд бригады")
    box = dialog.locator(".quick-answer textarea[name=text]")
    today = datetime.now(ZoneInfo("Asia/Vladivostok")).strftime("%d.%m.%Y")
    expect(box).to_have_value(f"Сообщение №{incident_id}: по адресу ул. Ленина, 5 бригада выедет {today}.")
    dialog.get_by_role("button", name="Промежуточный ответ").click()
    expect(cell(page, roads, "interim").locator(f"#incident-{incident_id}")).to_be_visible()
    assert stored(app, incident_id).answer_text.startswith(f"Сообщение №{incident_id}: по адресу ул. Ленина, 5")

    # after an interim answer the menu starts empty, and its move form opens on the next step, not «Оставить»
    dialog = open_menu(page, incident_id)
    dialog.get_by_text("Ответить…").click()
    for box in dialog.locator("textarea").all():
        expect(box).to_have_value("")
    expect(dialog.get_by_label("Ответ дан")).to_be_checked()
    expect(dialog.locator("[role=alert]")).to_have_count(0)
    page.keyboard.press("Escape")
    page.watch.assert_clean()


def test_move_dialog_asks_before_it_scolds_and_keeps_the_answer_on_a_conflict(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    incident_id = make.incident(text="Нужен ответ жителю")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{incident_id}").drag_to(cell(page, roads, "answered"))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    # opened on the column it was dropped on; nothing red before anything was sent
    expect(dialog.get_by_label("Ответ дан")).to_be_checked()
    expect(page.locator("[role=alert]")).to_have_count(0)
    expect(page.get_by_text("Напишите текст ответа.")).to_have_count(0)
    # sent empty: the complaint appears once, inside the dialog
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.get_by_text("Напишите текст ответа.")).to_have_count(1)
    expect(page.locator("#move-dialog [role=alert]")).to_have_count(1)
    # someone else changes the card meanwhile: the typed answer stays, with what changed, and a resend works
    with app.app_context():
        db.session.execute(db.update(Incident).where(Incident.id == incident_id)
                           .values(urgent=True, version=Incident.version + 1))
        db.session.commit()
    dialog = page.locator("#move-dialog")
    dialog.locator(".move-form textarea[name=text]").fill("Яму засыплем до пятницы")
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator("#move-dialog [role=alert]")).to_contain_text("уже изменил")
    expect(page.locator("#move-dialog .move-form textarea[name=text]")).to_have_value("Яму засыплем до пятницы")
    assert stored(app, incident_id).status == "new"
    page.locator("#move-dialog").get_by_role("button", name="Переместить").click()
    expect(cell(page, roads, "answered").locator(f"#incident-{incident_id}")).to_be_visible()
    assert stored(app, incident_id).answer_text == "Яму засыплем до пятницы"


def test_operator_reroutes_from_the_card_menu_and_a_stay_is_not_reported_as_a_move(app, make, desktop_page,
                                                                                   sign_in):
    page = desktop_page
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    incident_id = make.incident(text="Это про автобус")
    sign_in(page, "operator")
    dialog = open_menu(page, incident_id)
    # «Оставить» chosen explicitly with nothing else: no move is reported
    dialog.get_by_label("Оставить «Новое»").check()
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator("#move-dialog [role=alert]")).to_contain_text("осталось на месте")
    expect(page.locator("#board-notice")).not_to_contain_text("«Новое», Дороги")
    dialog = page.locator("#move-dialog")
    dialog.get_by_text("Переадресовать…").click()
    dialog.locator(".quick-route select[name=to_department]").select_option(str(transport))
    dialog.locator(".quick-route input[name=text]").fill("Маршрут автобуса — Транспорт")
    dialog.get_by_role("button", name="Переадресовать").click()
    expect(cell(page, transport, "new").locator(f"#incident-{incident_id}")).to_be_visible()
    expect(cell(page, roads, "new").locator(f"#incident-{incident_id}")).to_have_count(0)
    with app.app_context():
        kinds = [e.kind for e in db.session.scalars(db.select(Event).where(Event.incident_id == incident_id))]
    assert kinds == ["department"]
    assert page.watch.page_errors == [] and page.watch.csp_violations() == []  # (the refused stay is a 400)
