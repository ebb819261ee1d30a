"""People in a real browser: an admin adds a field worker, who signs in on a phone and changes their password."""
from playwright.sync_api import expect

from .conftest import PHONE, log_in, open_page


def test_an_admin_adds_a_field_worker_who_signs_in_on_a_phone_and_changes_the_password(
        app, make, desktop_page, sign_in, browser, live_url):
    page = desktop_page
    sign_in(page, "admin")
    page.get_by_role("link", name="Пользователи").click()
    page.get_by_role("link", name="Добавить пользователя").click()
    page.get_by_label("Логин", exact=True).fill("sidorov")
    page.get_by_label("Имя (видно на карточках и в истории)").fill("Сергей Сидоров")
    page.get_by_label("Роль", exact=True).select_option(label="Исполнитель")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("alert")).to_contain_text("нужно подразделение")  # nothing typed is lost
    expect(page.get_by_label("Логин", exact=True)).to_have_value("sidorov")
    # the refused form is a 400 page, which Chromium reports in the console; nothing else may be there
    assert [e for e in page.watch.console_errors if "status of 400" not in e] == []
    page.watch.console_errors.clear()
    page.get_by_label("Подразделение (для руководителя и исполнителя)").select_option(
        label="Управление дорог и внешнего благоустройства")
    page.get_by_label("Пароль (не короче 8 символов)").fill("dozhd-i-yamy-1")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("main")).to_contain_text("Пользователь «sidorov» создан")
    expect(page.locator("table.users")).to_contain_text("Сергей Сидоров")
    page.watch.assert_clean()

    context, phone = open_page(browser, live_url, PHONE)
    try:
        log_in(phone, "sidorov", "dozhd-i-yamy-1", landing="**/field/")  # a field worker lands on «Мои задачи»
        phone.get_by_role("link", name="Пароль", exact=True).tap()
        phone.get_by_label("Текущий пароль").fill("dozhd-i-yamy-1")
        phone.get_by_label("Новый пароль (не короче 8 символов)").fill("solnce-i-asfalt-2")
        phone.get_by_label("Новый пароль ещё раз").fill("solnce-i-asfalt-2")
        phone.get_by_role("button", name="Сменить пароль").tap()
        expect(phone.locator("main")).to_contain_text("Пароль изменён")
        expect(phone.locator("#lanes")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        phone.watch.assert_clean()
    finally:
        context.close()
    page.goto("/users/")
    expect(page.locator("table.users")).to_contain_text("sidorov")
    page.set_viewport_size({"width": 390, "height": 844})  # the admin's forms fit a phone too
    for path in ("/users/", "/users/new", "/account/password"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
