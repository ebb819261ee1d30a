"""Field work in a real browser on a 390×844 touch phone: a field worker signs in to «Мои задачи» (only their open
tasks, large touch targets, readable outdoors, map links), marks progress the head sees on the board at once, sends
photos from the camera (stored upright, without GPS), gets bad files refused in Russian without losing what was typed,
and loses nothing on a dropped connection, a lost answer or an expired session: a send resent is applied once. The
head sees the photos on the card's page, and the head's answer dialog keeps its text on a conflict."""
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from fieldtools import GREEN, RED, TEXT_AS_JPEG, camera_jpeg, jpeg_segments, png_bomb
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from mcu.extensions import db
from mcu.incidents import verbs
from mcu.models import Event, Incident, Photo, User

from .conftest import DESKTOP, PHONE, log_in, login_name, open_page

FIELD_HOME = "**/field/"


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


def lines(app, incident_id, kind) -> list:
    with app.app_context():
        return db.session.scalars(select(Event.to_value).where(Event.incident_id == incident_id, Event.kind == kind)
                                  .order_by(Event.id)).all()


def photos_of(app, incident_id) -> list:
    with app.app_context():
        found = db.session.scalars(select(Photo).where(Photo.incident_id == incident_id).order_by(Photo.id)).all()
        for photo in found:
            db.session.expunge(photo)
        return found


def worker_on_phone(app, make, page, **incidents):
    """A field worker of «Дороги» with these tasks ({name: incident fields}), signed in on the phone."""
    worker = make.user("field", "Дороги", name="Иван Полевой")
    ids = {name: make.incident(assignee_id=worker, **fields) for name, fields in incidents.items()}
    log_in(page, login_name(app, worker), landing=FIELD_HOME)
    return worker, ids


def own_errors(page) -> list:
    """Console errors but the browser's own line for a refused request (a 4xx the test asks for)."""
    return [e for e in page.watch.console_errors if "the server responded with a status of 4" not in e]


CONTRAST = """els => els.map(el => {
  const rgb = c => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  let node = el, back = null;
  while (node && !back) { const c = getComputedStyle(node).backgroundColor;
    if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') back = c; node = node.parentElement; }
  const a = lum(rgb(getComputedStyle(el).color)), b = lum(rgb(back || 'rgb(255,255,255)'));
  return [el.className || el.tagName, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
})"""


def test_a_field_worker_works_a_task_on_the_phone_and_the_head_sees_each_step(app, make, phone_page, browser,
                                                                              live_url):
    page = phone_page
    now = datetime.now(UTC)
    worker, ids = worker_on_phone(
        app, make, page,
        soon={"text": "Открыт люк у дома 5", "address": "ул. Ленина, 5", "first_answer_due": now + timedelta(hours=2)},
        late={"text": "Упало дерево на тротуар", "lat": 48.48, "lon": 135.07,
              "first_answer_due": now - timedelta(hours=1)},
        answered={"text": "Уже отвечено жителю", "status": "answered"})
    make.incident(text="Задача другого исполнителя", assignee_id=make.user("field", "Дороги"))
    make.incident(text="Ничья задача")
    assert worker
    tasks = page.locator("article.task")
    expect(tasks).to_have_count(2)
    assert tasks.evaluate_all("els => els.map(e => e.dataset.task)") == [str(ids["late"]), str(ids["soon"])]
    for absent in ("Уже отвечено жителю", "Задача другого исполнителя", "Ничья задача"):
        expect(page.locator("main")).not_to_contain_text(absent)
    expect(page.locator(f"#task-{ids['late']}")).to_contain_text("просрочено на 1 ч")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    targets = page.evaluate("""() => [...document.querySelectorAll(
        'article.task button, article.task .big-link, article.task .photo-pick, article.task .tag')]
        .filter(e => e.offsetParent).map(e => [e.textContent.trim(), e.getBoundingClientRect().height,
                                               e.getBoundingClientRect().width])""")
    assert len(targets) >= 2 * 8 and all(h >= 48 and w >= 48 for _t, h, w in targets), targets
    readable = page.locator("article.task :is(h2 a, .task-state, .task-text, dt, dd, button, .big-link, label)")
    assert all(ratio >= 7 for _name, ratio in readable.evaluate_all(CONTRAST)), readable.evaluate_all(CONTRAST)

    head_context, head = open_page(browser, live_url, DESKTOP)
    try:
        log_in(head, login_name(app, make.user("head", "Дороги")))
        card_step = head.locator(f"#incident-{ids['soon']} .card-step")
        expect(card_step).to_have_count(0)
        task = page.locator(f"#task-{ids['soon']}")
        task.get_by_role("button", name="Выехал").tap()
        expect(task.locator(".notice")).to_have_text("Отмечено: «Выехал».")
        expect(card_step).to_have_text("Выехал")  # the head's open board shows it by itself
        expect(head.locator(f"#cell-{make.department('Дороги')}-in_progress #incident-{ids['soon']}")).to_be_visible()
        task.get_by_role("button", name="На месте").tap()
        expect(card_step).to_have_text("На месте")
        task.get_by_role("button", name="Выполнено").tap()
        expect(task.locator(".notice")).to_have_text("Для «Выполнено» добавьте фото «после» или напишите, что сделано.")
        task.get_by_label("Комментарий: что сделано или почему не получается").fill("Люк закрыли новой крышкой")
        task.get_by_role("button", name="Выполнено").tap()
        expect(task.locator(".notice")).to_have_text("Отмечено: «Выполнено».")
        expect(card_step).to_have_text("Выполнено")
        assert lines(app, ids["soon"], "field_step") == ["on_way", "on_site", "done"]
        assert lines(app, ids["soon"], "comment") == ["Люк закрыли новой крышкой"]
        head.goto(f"/incidents/{ids['soon']}")
        expect(head.locator(".history")).to_contain_text(re.compile(r"Ход работы\s*: На месте → Выполнено\s*· Иван Полевой"))
        head.watch.assert_clean()
    finally:
        head_context.close()
    page.reload()
    expect(tasks).to_have_count(1)  # done: out of the list
    assert own_errors(page) == [] and page.watch.page_errors == [] and page.watch.csp_violations() == []


def test_the_map_links_name_the_point_or_the_address(app, make, phone_page):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, point={"lat": 48.480222, "lon": 135.071917, "address": "пл. Ленина"},
                                   address={"address": "ул. Ленина, 5"})
    point, address = page.locator(f"#task-{ids['point']}"), page.locator(f"#task-{ids['address']}")
    assert point.get_by_role("link", name="Открыть на карте").get_attribute("href") == "geo:48.480222,135.071917"
    assert point.get_by_role("link", name="Яндекс Карты").get_attribute("href") == \
        "https://yandex.ru/maps/?pt=135.071917,48.480222&z=17&l=map"
    assert address.get_by_role("link", name="Открыть на карте").get_attribute("href") == \
        "geo:0,0?q=%D0%A5%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%B2%D1%81%D0%BA%2C%20%D1%83%D0%BB.%20%D0%9B%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0%2C%205"
    assert address.get_by_role("link", name="Яндекс Карты").get_attribute("href") == \
        "https://yandex.ru/maps/?text=%D0%A5%D0%B0%D0%B1%D0%B0%D1%80%D0%BE%D0%B2%D1%81%D0%BA%2C%20%D1%83%D0%BB.%20%D0%9B%D0%B5%D0%BD%D0%B8%D0%BD%D0%B0%2C%205"


def test_a_camera_photo_is_stored_upright_without_gps_and_the_head_sees_it(app, make, phone_page, browser, live_url,
                                                                            photo_dir):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, task={"text": "Яма во дворе"})
    task = page.locator(f"#task-{ids['task']}")
    picker = task.locator("input[type=file]")
    assert (picker.get_attribute("accept"), picker.get_attribute("capture")) == ("image/*", "environment")
    assert picker.get_attribute("multiple") is not None
    task.get_by_text("до", exact=True).tap()
    picker.set_input_files(files=[{"name": "IMG_0001.JPG", "mimeType": "image/jpeg", "buffer": camera_jpeg(400, 300)}])
    expect(task.locator(".draft-photos li")).to_have_count(1)
    expect(task.locator(".draft-photos li")).to_contain_text("Фото 1 · до")
    task.get_by_role("button", name="Отправить комментарий и фото").tap()
    expect(task.locator(".notice")).to_have_text("Фото отправлено: 1.")
    expect(task.locator(".draft-photos li")).to_have_count(0)
    [photo] = photos_of(app, ids["task"])
    assert (photo.tag, photo.width, photo.height) == ("before", 300, 400)
    assert photo.lat is not None and photo.lon is not None  # the point is kept as a field of the photo...
    data = (photo_dir / photo.stored_name).read_bytes()
    assert 0xE1 not in jpeg_segments(data) and not Image.open(io.BytesIO(data)).getexif()  # ...and nowhere else
    upright = Image.open(io.BytesIO(data))
    assert all(abs(a - b) < 40 for a, b in zip(upright.getpixel((280, 20)), RED, strict=True))
    assert all(abs(a - b) < 40 for a, b in zip(upright.getpixel((20, 20)), GREEN, strict=True))
    thumb = task.locator(f'img[src="/field/photos/{photo.id}/small"]')
    expect(thumb).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 240", arg=thumb.element_handle())

    head_context, head = open_page(browser, live_url, DESKTOP)
    try:
        log_in(head, login_name(app, make.user("head", "Дороги")))
        head.goto(f"/incidents/{ids['task']}")
        gallery = head.locator("#photos")
        expect(gallery.locator("img")).to_have_attribute("alt", f"Фото №{photo.id}, до")
        head.wait_for_function("img => img.complete && img.naturalWidth === 240",
                               arg=gallery.locator("img").element_handle())
        with head.expect_popup() as opened:
            gallery.locator("img").click()
        full = opened.value
        full.wait_for_load_state()
        assert full.evaluate("() => [document.images[0].naturalWidth, document.images[0].naturalHeight]") == [300, 400]
        gallery.get_by_role("button", name="Приложить к ответу").click()
        expect(head.locator(".incident-answer")).to_contain_text("Фото к ответу")
        head.watch.assert_clean()
    finally:
        head_context.close()


def test_bad_files_are_refused_in_russian_and_nothing_typed_is_lost(app, make, phone_page, photo_dir):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, task={"text": "Сломана скамейка"})
    task = page.locator(f"#task-{ids['task']}")
    task.get_by_label("Комментарий: что сделано или почему не получается").fill("Скамейку починили")
    task.locator("input[type=file]").set_input_files(files=[
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": TEXT_AS_JPEG},
        {"name": "huge.png", "mimeType": "image/png", "buffer": png_bomb(20_000)},
        {"name": "good.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}])
    expect(task.locator(".draft-photos li")).to_have_count(3)
    task.get_by_role("button", name="Отправить комментарий и фото").tap()
    notice = task.locator(".notice")
    expect(notice).to_contain_text("Фото 1 не принято: Это не фотография: принимаются JPEG, PNG, WebP и HEIC.")
    expect(notice).to_contain_text("Фото 2 не принято: Снимок слишком большой: можно не больше 50 мегапикселей.")
    expect(task.get_by_label("Комментарий: что сделано или почему не получается")).to_have_value("Скамейку починили")
    expect(task.locator(".draft-photos li")).to_have_count(1)  # the refused two are dropped, the good one stays
    assert photos_of(app, ids["task"]) == [] and lines(app, ids["task"], "comment") == []
    task.get_by_role("button", name="Отправить ещё раз").tap()
    expect(task.locator(".notice")).to_have_text("Фото отправлено: 1.")
    assert len(photos_of(app, ids["task"])) == 1 and lines(app, ids["task"], "comment") == ["Скамейку починили"]


def test_offline_the_send_waits_on_the_phone_and_a_resend_is_applied_once(app, make, phone_page):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, task={"text": "Не горит фонарь"})
    task = page.locator(f"#task-{ids['task']}")
    page.context.set_offline(True)
    task.get_by_label("Комментарий: что сделано или почему не получается").fill("Выехал, буду через 20 минут")
    task.locator("input[type=file]").set_input_files(files=[
        {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}])
    expect(task.locator(".draft-photos li")).to_have_count(1)
    task.get_by_role("button", name="Выехал").tap()
    expect(task.locator(".draft-message")).to_contain_text("Нет связи: не отправлено")
    assert lines(app, ids["task"], "field_step") == []
    page.context.set_offline(False)
    page.reload()  # everything survives a reload too
    task = page.locator(f"#task-{ids['task']}")
    expect(task.get_by_label("Комментарий: что сделано или почему не получается")).to_have_value(
        "Выехал, буду через 20 минут")
    expect(task.locator(".draft-photos li")).to_have_count(1)
    expect(task.locator(".draft-message")).to_contain_text("Нет связи")
    task.get_by_role("button", name="Отправить ещё раз").tap()
    expect(task.locator(".notice")).to_have_text("Отмечено: «Выехал». Фото отправлено: 1.")
    assert lines(app, ids["task"], "field_step") == ["on_way"]
    assert lines(app, ids["task"], "comment") == ["Выехал, буду через 20 минут"]
    assert len(photos_of(app, ids["task"])) == 1
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('mcu.field'))") == []
    expect(task.locator(".draft-state")).to_be_hidden()


def test_a_send_whose_answer_is_lost_is_applied_once_when_sent_again(app, make, phone_page, photo_dir):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, task={"text": "Открыт колодец"})
    task = page.locator(f"#task-{ids['task']}")

    def lost(route):
        route.fetch()  # the server carries the send out...
        route.abort("connectionreset")  # ...and its answer never reaches the phone

    page.route("**/field/tasks/*", lost)
    task.get_by_label("Комментарий: что сделано или почему не получается").fill("Колодец закрыт")
    task.locator("input[type=file]").set_input_files(files=[
        {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}])
    expect(task.locator(".draft-photos li")).to_have_count(1)
    task.get_by_role("button", name="На месте").tap()
    expect(task.locator(".draft-message")).to_contain_text("Нет связи")
    assert lines(app, ids["task"], "field_step") == ["on_site"]
    page.unroute("**/field/tasks/*")
    task.get_by_role("button", name="Отправить ещё раз").tap()
    expect(task.locator(".notice")).to_have_text("Это уже сделано: повторная отправка той же формы ничего не повторяет.")
    assert lines(app, ids["task"], "field_step") == ["on_site"]
    assert lines(app, ids["task"], "comment") == ["Колодец закрыт"]
    assert len(photos_of(app, ids["task"])) == 1
    assert len([p for p in photo_dir.rglob("*.jpg")]) == 2  # the photo and its thumbnail, once


def test_an_expired_session_keeps_the_draft_until_the_worker_signs_in_again(app, make, phone_page):
    page = phone_page
    worker, ids = worker_on_phone(app, make, page, task={"text": "Разбито стекло остановки"})
    task = page.locator(f"#task-{ids['task']}")
    task.get_by_label("Комментарий: что сделано или почему не получается").fill("Стекло заменить не могу: нет размера")
    page.context.clear_cookies()  # the session has ended (idle timeout, sign-out elsewhere)
    task.get_by_role("button", name="Не могу выполнить").tap()
    expect(task.locator(".draft-message")).to_contain_text("Сеанс завершён")
    task.locator(".draft-message").get_by_role("link", name="Войти").tap()
    page.locator("#login").fill(login_name(app, worker))
    page.locator("#password").fill("secret-pass-1")
    page.locator("form button[type=submit]").tap()
    page.wait_for_url(FIELD_HOME)
    task = page.locator(f"#task-{ids['task']}")
    expect(task.get_by_label("Комментарий: что сделано или почему не получается")).to_have_value(
        "Стекло заменить не могу: нет размера")
    task.get_by_role("button", name="Отправить ещё раз").tap()
    expect(task.locator(".notice")).to_have_text("Сообщение возвращено руководителю с вашей причиной.")
    assert lines(app, ids["task"], "field_step") == ["cannot"]
    with app.app_context():
        assert db.session.get(Incident, ids["task"]).assignee_id is None


def test_a_stranger_and_another_field_worker_get_404_for_a_photo(app, make, phone_page, browser, live_url):
    page = phone_page
    _worker, ids = worker_on_phone(app, make, page, task={"text": "Граффити на стене"})
    task = page.locator(f"#task-{ids['task']}")
    task.locator("input[type=file]").set_input_files(files=[
        {"name": "a.jpg", "mimeType": "image/jpeg", "buffer": camera_jpeg()}])
    task.get_by_role("button", name="Отправить комментарий и фото").tap()
    expect(task.locator(".notice")).to_have_text("Фото отправлено: 1.")
    [photo] = photos_of(app, ids["task"])
    own = page.goto(f"/field/photos/{photo.id}")
    assert own.status == 200 and own.headers["content-type"] == "image/jpeg"
    for who in ("stranger", "another field worker"):
        context, other = open_page(browser, live_url, PHONE)
        try:
            if who != "stranger":
                log_in(other, login_name(app, make.user("field", "Дороги")), landing=FIELD_HOME)
            for path in (f"/field/photos/{photo.id}", f"/field/photos/{photo.id}/small"):
                assert other.goto(path).status == 404, (who, path)
        finally:
            context.close()


def test_the_heads_answer_dialog_keeps_the_text_when_someone_changed_the_card(app, make, desktop_page, sign_in):
    page = desktop_page
    card = make.incident(text="Просят ответ", status="in_progress")
    sign_in(page, "head", "Дороги")
    page.locator(f"#incident-{card} .card-move").click()
    dialog = page.locator("#move-dialog")
    dialog.get_by_label("Ответ дан").check()
    dialog.locator(".move-form textarea[name=text]").fill("Яму заделаем до пятницы, 15 мая")
    with app.app_context():  # meanwhile an admin changes the card
        admin = User(login="admin-x", name="Анна Смирнова", role="admin", password_hash="x")
        db.session.add(admin)
        db.session.commit()
        verbs.assign(card, admin, None, db.session.get(Incident, card).version)
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator("#move-dialog [role=alert]")).to_contain_text("уже изменил(а) Анна Смирнова")
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".move-form textarea[name=text]")).to_have_value("Яму заделаем до пятницы, 15 мая")
    dialog.get_by_role("button", name="Переместить").click()
    expect(page.locator(f"#cell-{make.department('Дороги')}-answered #incident-{card}")).to_be_visible()
    with app.app_context():
        assert db.session.get(Incident, card).status == "answered"
