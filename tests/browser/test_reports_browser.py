"""The reports page in a real browser: every chart loads and shows, nothing breaks the CSP or the console, another
period comes in with htmx and its address, and the page prints on A4 with its charts."""
from playwright.sync_api import expect
from reporttools import at

CHARTS = ("channels", "topics", "departments", "weeks")


def test_the_report_shows_its_charts_switches_period_and_prints(make, desktop_page, sign_in):
    for n, day in enumerate(("11.01.2021 10:00", "12.03.2021 11:00", "05.07.2021 12:00", "10.03.2020 10:00")):
        make.incident(received_at=at(day), channel_id=make.channel("im" if n % 2 else "public"),
                      first_answered_at=at(day), first_answer_work_minutes=30 * n)
    page = desktop_page
    sign_in(page, "viewer")
    page.get_by_role("link", name="Отчёты").click()
    page.goto("/reports?year=2021")
    expect(page.get_by_role("heading", name="Отчёт: 2021 год")).to_be_visible()
    for name in CHARTS:
        chart = page.locator(f"#block-{name} figure img")
        expect(chart).to_be_visible()
        chart.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
        assert chart.bounding_box()["height"] > 150, name
    expect(page.locator(".report-paragraph")).to_contain_text("За 2021 год даны ответы на 1 сообщение")
    page.watch.assert_clean()

    page.get_by_label("Год", exact=True).fill("2020")
    page.get_by_label("Год", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="Отчёт: 2020 год")).to_be_visible()
    assert page.url.endswith("/reports?year=2020")
    expect(page.locator("#block-channels table tfoot")).to_contain_text("Всего")
    page.watch.assert_clean()

    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator(".report-periods")).to_be_hidden()
    for name in CHARTS:
        expect(page.locator(f"#block-{name} figure img")).to_be_visible()
        expect(page.locator(f"#block-{name} table")).to_be_visible()
    pdf = page.pdf(format="A4", print_background=False)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2
    page.watch.assert_clean()
