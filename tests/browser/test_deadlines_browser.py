"""Deadlines and notifications in a real browser: the bell's count changes by itself when a card becomes overdue,
and a card's «осталось …» words follow the clock from its data-due."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from mcu import escalation


def test_the_bell_counts_a_new_notification_without_a_reload(app, make, desktop_page, sign_in, monkeypatch):
    monkeypatch.setitem(app.config, "BELL_POLL_SECONDS", 1)
    page = desktop_page
    sign_in(page, "head", "Дороги")
    bell = page.locator("#bell .bell-count")
    expect(bell).to_have_text("0")
    now = datetime.now(UTC)
    card = make.incident(first_answer_due=now - timedelta(minutes=5))
    with app.app_context():
        escalation.sweep(now, app.config, ZoneInfo("Asia/Vladivostok"))
    expect(bell).to_have_text("1")
    expect(page.locator("#bell")).to_have_class("bell bell-unread")
    page.locator("#bell").click()
    expect(page.locator(f'#notifications-list a[href="/incidents/{card}"]')).to_be_visible()
    expect(page.locator("#notifications-list")).to_contain_text("Просрочено")
    page.get_by_role("button", name="Отметить все как прочитанные").click()
    expect(bell).to_have_text("0")
    page.watch.assert_clean()


def test_a_cards_time_left_follows_the_clock(app, make, desktop_page, sign_in):
    page = desktop_page
    card = make.incident(first_answer_due=datetime.now(UTC) + timedelta(hours=2, minutes=15, seconds=40))
    sign_in(page, "operator")
    words = page.locator(f"#incident-{card} .due-left")
    expect(words).to_have_text("осталось 2 ч 15 мин")
    # an hour and a minute later, as the page's clock has it: the script re-reads data-due on every settle
    page.evaluate(f"""() => {{
        const due = document.querySelector('#incident-{card} .due');
        due.dataset.due = String(Math.floor(Date.now() / 1000) - 3700);
        document.dispatchEvent(new Event('htmx:after:settle'));
    }}""")
    expect(words).to_have_text("просрочено на 1 ч 1 мин")
    page.watch.assert_clean()
