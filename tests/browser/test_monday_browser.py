"""A head's Monday in a real browser (issue 14): one tap from the card's menu to take, assign and answer with a
template; an operator's reroute; the move dialog's manners; bulk selection; saved views; every column on screen
at 1024, 1366 and 1920 px."""
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from mcu.extensions import db
from mcu.models import Event, Incident
from mcu.shortcuts.models import AnswerTemplate

from .conftest import log_in, login_name, open_page


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
    worker = make.user("field", "Дороги", name="Павел Ремизов")
    with app.app_context():
        from mcu.incidents import verbs
        from mcu.models import User
        verbs.assign(incident_id, db.session.get(User, make.user("admin", name="Анна Смирнова")), worker, 1)
    dialog = page.locator("#move-dialog")
    dialog.locator(".move-form textarea[name=text]").fill("Яму засыплем до пятницы")
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator("#move-dialog [role=alert]")).to_contain_text("уже изменил(а) Анна Смирнова")
    expect(page.locator("#move-dialog .changed-what")).to_have_text("Что изменилось: Исполнитель: — → Павел Ремизов.")
    expect(page.locator("#move-dialog .now")).to_contain_text("исполнитель: Павел Ремизов")
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
    taken = make.incident(text="Это возьму в работу")
    sign_in(page, "operator")
    open_menu(page, taken).get_by_role("button", name="Взять в работу").click()  # one tap as an operator too
    expect(cell(page, roads, "in_progress").locator(f"#incident-{taken}")).to_be_visible()
    dialog = open_menu(page, incident_id)
    expect(dialog.get_by_text("Назначить…")).to_have_count(0)  # an operator neither assigns nor answers
    expect(dialog.get_by_text("Ответить…")).to_have_count(0)
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


LAYOUTS = [(1024, 768), (1366, 768), (1920, 1080)]
COLUMN_BOXES = """() => {
  const out = {scroll: document.documentElement.scrollWidth, width: window.innerWidth, cells: [], heads: []};
  document.querySelectorAll('#lanes .cell').forEach(c => {
    const r = c.getBoundingClientRect();
    out.cells.push({id: c.id, left: r.left, right: r.right});
    const t = c.querySelector('.cell-title').getBoundingClientRect();
    const n = c.querySelector('.count').getBoundingClientRect();
    out.heads.push({id: c.id, titleRight: t.right, titleTop: t.top, titleBottom: t.bottom, countLeft: n.left,
                    countTop: n.top, countBottom: n.bottom, countRight: n.right, cellRight: r.right});
  });
  return out;
}"""


def test_every_column_on_screen_at_1024_1366_and_1920(app, make, browser, live_url):
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги", name="Павел Ремизов-Старобельский")
    for status in ("new", "in_progress", "interim", "returned", "answered", "resolved"):
        make.incident(text="Длинный текст сообщения про яму у дома, который не помещается в узкую колонку " * 2,
                      status=status, assignee_id=worker, department_id=roads, platform="vk",
                      resolved_at=datetime.now(ZoneInfo("UTC")))
    head, operator = make.user("head", "Дороги"), make.user("operator")
    for who, (width, height) in [(head, size) for size in LAYOUTS] + [(operator, LAYOUTS[0])]:
        context, page = open_page(browser, live_url, {"viewport": {"width": width, "height": height}})
        try:
            log_in(page, login_name(app, who))
            found = page.evaluate(COLUMN_BOXES)
            assert found["scroll"] <= width, (width, found["scroll"])  # no sideways scrolling
            assert len(found["cells"]) == (6 if who == head else 6 * page.locator("#lanes .lane").count())
            # no technical codes on cards: a platform's code is named
            expect(page.locator(f"#cell-{roads}-new .card small span").first).to_have_text(
                "Инцидент-менеджмент ЦУР · ВКонтакте")
            for box in found["cells"]:
                assert 0 <= box["left"] and box["right"] <= width, (width, box)
            for head_box in found["heads"]:
                overlaps = (head_box["titleRight"] + 4 > head_box["countLeft"]  # at least 4 px between them
                            and head_box["titleBottom"] > head_box["countTop"]
                            and head_box["countBottom"] > head_box["titleTop"])
                assert not overlaps, (width, head_box)  # «ПРОМЕЖУТОЧНЫЙ ОТВЕТ0» never again
                assert head_box["countRight"] <= head_box["cellRight"] + 0.5, (width, head_box)
            # the whole name where there is room, and as a tooltip always
            names = page.locator(".card-assignee")
            expect(names.first).to_have_attribute("title", "Павел Ремизов-Старобельский")
            assert all(n.evaluate("e => e.scrollWidth <= e.clientWidth && e.textContent.indexOf('…') < 0")
                       for n in names.all()), width
            page.watch.assert_clean()
        finally:
            context.close()


def test_head_works_many_cards_at_once_and_the_selection_survives_a_redraw(app, make, desktop_page, sign_in,
                                                                           monkeypatch):
    from mcu.incidents import verbs
    from mcu.models import User
    from mcu.timefmt import city_tz
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)
    page = desktop_page
    roads = make.department("Дороги")
    new_cards = [make.incident(text=f"Яма номер {n}") for n in range(4)]  # newest on top: 3, 2, 1, 0
    returned = [make.incident(text=f"Вернули {n}", status="returned") for n in range(2)]
    elsewhere = make.incident(text="Эту переместит другой", status="interim")
    admin = make.user("admin")
    sign_in(page, "head", "Дороги")
    bar = page.locator("#bulk-bar")
    expect(bar).to_be_hidden()
    # shift-click: a range of the column
    page.locator(f"#incident-{new_cards[3]} .card-pick").click()
    page.locator(f"#incident-{new_cards[1]} .card-pick").click(modifiers=["Shift"])
    expect(bar).to_be_visible()
    expect(bar.locator(".bulk-count")).to_have_text("3")
    # «выбрать все в колонке»
    page.locator(f"#cell-{roads}-returned .cell-pick").click()
    expect(bar.locator(".bulk-count")).to_have_text("5")
    # another person's change redraws the lane: the picked cards stay picked
    with app.app_context():
        verbs.move_incident(elsewhere, db.session.get(User, admin), cfg=app.config, tz=city_tz(),
                            to_status="in_progress", before="top")
    expect(cell(page, roads, "in_progress").locator(f"#incident-{elsewhere}")).to_be_visible()
    for card in (*new_cards[1:], *returned):
        expect(page.locator(f"#incident-{card} .card-pick")).to_be_checked()
    expect(page.locator(f"#incident-{new_cards[0]} .card-pick")).not_to_be_checked()
    # one card changes meanwhile: the action is refused, names it, and changes none
    with app.app_context():
        verbs.assign(returned[0], db.session.get(User, admin), None, 1)
    bar.get_by_role("button", name="Взять в работу").click()
    expect(page.locator("#board-notice [role=alert]")).to_contain_text(f"№{returned[0]}")
    assert all(stored(app, c).status == "new" for c in new_cards[1:])
    # picked again at its version now, the action goes through for all five, one history line each
    page.locator(f"#incident-{returned[0]} .card-pick").click()
    page.locator(f"#incident-{returned[0]} .card-pick").click()
    bar.get_by_role("button", name="Взять в работу").click()
    expect(page.locator("#board-notice")).to_contain_text("изменено карточек — 5")
    expect(bar).to_be_hidden()
    for card in (*new_cards[1:], *returned):
        expect(cell(page, roads, "in_progress").locator(f"#incident-{card}")).to_be_visible()
        with app.app_context():
            assert [e.kind for e in db.session.scalars(db.select(Event).where(Event.incident_id == card))
                    if e.user_id != admin] == ["status"]
    assert stored(app, new_cards[0]).status == "new"


def test_operator_reroutes_and_merges_many_cards(app, make, desktop_page, sign_in):
    page = desktop_page
    transport = make.department("Транспорт")
    unrouted = [make.incident(text=f"Автобус {n}", department_id=None) for n in range(2)]
    original, dup1, dup2 = (make.incident(text=f"Дубль {n}") for n in range(3))
    sign_in(page, "operator")
    bar = page.locator("#bulk-bar")
    page.locator("#cell-unrouted-new .cell-pick").click()
    expect(bar.locator(".bulk-count")).to_have_text("2")
    bar.locator("select[name=to_department]").select_option(str(transport))
    bar.get_by_role("button", name="Переадресовать").click()
    for card in unrouted:
        expect(cell(page, transport, "new").locator(f"#incident-{card}")).to_be_visible()
    for card in (dup1, dup2):
        page.locator(f"#incident-{card} .card-pick").click()
    bar.locator("input[name=original]").fill(str(original))
    bar.get_by_role("button", name="Отметить дубликатами").click()
    expect(page.locator("#board-notice")).to_contain_text("изменено карточек — 2")
    expect(page.locator(f"#incident-{dup1}")).to_have_count(0)
    assert stored(app, dup2).duplicate_of_id == original
    page.watch.assert_clean()


def test_a_saved_view_is_a_tab_and_its_link_shows_a_colleague_the_same(app, make, browser, live_url):
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги")
    make.incident(text="Яма без исполнителя")
    make.incident(text="Яма с исполнителем", assignee_id=worker)
    head, colleague = make.user("head", "Дороги"), make.user("head", "Дороги")
    context, page = open_page(browser, live_url, {"viewport": {"width": 1366, "height": 768}})
    other, other_page = open_page(browser, live_url, {"viewport": {"width": 1366, "height": 768}})
    try:
        log_in(page, login_name(app, head))
        page.get_by_label("Без исполнителя").check()  # the filter applies at once (htmx), the URL follows
        expect(page.locator("#lanes")).not_to_contain_text("Яма с исполнителем")
        page.get_by_placeholder("название, например «Мои просроченные»").fill("Дороги без исполнителя")
        page.get_by_role("button", name="Сохранить вид").click()
        tab = page.locator(".view-tabs a", has_text="Дороги без исполнителя")
        expect(tab).to_have_attribute("aria-current", "page")
        page.locator(".view-tabs a", has_text="Вся доска").click()
        expect(page.locator("#lanes")).to_contain_text("Яма с исполнителем")
        tab.click()
        expect(page.locator("#lanes")).to_contain_text("Яма без исполнителя")
        expect(page.locator("#lanes")).not_to_contain_text("Яма с исполнителем")
        link = tab.get_attribute("href")
        assert "unassigned=1" in link
        log_in(other_page, login_name(app, colleague))
        other_page.goto(link)
        expect(other_page.locator(f"#lane-{roads}")).to_contain_text("Яма без исполнителя")
        expect(other_page.locator("#lanes")).not_to_contain_text("Яма с исполнителем")
        expect(other_page.locator(".view-tabs")).not_to_contain_text("Дороги без исполнителя")
        page.watch.assert_clean()
    finally:
        context.close()
        other.close()


def test_head_assigns_and_answers_many_cards_with_a_template(app, make, desktop_page, sign_in):
    page = desktop_page
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги", name="Павел Ремизов")
    cards = [make.incident(text=f"Яма {n}", address=f"ул. Ленина, {n}", status="in_progress") for n in (1, 2)]
    add_template(app, roads, "Яма заделана", "Яму по адресу {адрес} заделали. Сообщение №{номер}.")
    sign_in(page, "head", "Дороги")
    bar = page.locator("#bulk-bar")
    page.locator(f"#cell-{roads}-in_progress .cell-pick").click()
    expect(bar.locator(".bulk-count")).to_have_text("2")
    bar.locator("select[name=assignee]").select_option(label="Павел Ремизов (открыто: 0)")
    bar.get_by_role("button", name="Назначить").click()
    expect(page.locator("#board-notice")).to_contain_text("изменено карточек — 2")
    for card in cards:
        expect(page.locator(f"#incident-{card} .card-assignee")).to_have_text("Павел Ремизов")
    page.locator(f"#cell-{roads}-in_progress .cell-pick").click()
    bar.locator("select[name=template]").select_option(label="Яма заделана")
    bar.locator("select[name=kind]").select_option("final")
    bar.get_by_role("button", name="Ответить шаблоном").click()
    for card, n in zip(cards, (1, 2), strict=True):
        expect(cell(page, roads, "answered").locator(f"#incident-{card}")).to_be_visible()
        assert stored(app, card).answer_text == f"Яму по адресу ул. Ленина, {n} заделали. Сообщение №{card}."
        assert stored(app, card).assignee_id == worker
    page.watch.assert_clean()
