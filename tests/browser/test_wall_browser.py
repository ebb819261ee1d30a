"""The wall in a real browser, opened with a display token: at 1920×1080 and 3840×2160 it never scrolls, no text
is under the size floor (28 px at 1080p, 56 px at 2160p: the type scales with the screen), nothing is cut off and
every department is on screen, with the demo data and with 20 departments; an idle minute swaps nothing; an
import shows within 3 s and flashes; a revoked token says so; the banner comes when the server stops and goes when
it returns; new static files reload the wall; a city wall rotates."""
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from walltools import HOSTILE, make_token, revoke_token
from werkzeug.serving import make_server

from mcu import demo
from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Department

from .conftest import QuietHandler, open_page

SIZES = {"1080p": {"viewport": {"width": 1920, "height": 1080}},
         "4k": {"viewport": {"width": 3840, "height": 2160}}}
FLOOR = {"1080p": 28, "4k": 56}  # px: the body text's floor at each size
WITHIN_MS = 3000

# the page as a person 5 m away meets it: scrolling, text under the floor, boxes whose content overflows, tiles
# off screen
MEASURE = """(floor) => {
  const out = {scrollH: document.documentElement.scrollHeight, scrollW: document.documentElement.scrollWidth,
               innerH: innerHeight, innerW: innerWidth, small: [], cut: [], offscreen: [], tiles: 0};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.nodeValue.trim() || el.closest("[hidden]")) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < floor - 0.05) out.small.push(el.className + " " + size + "px: " + n.nodeValue.slice(0, 30));
  }
  document.querySelectorAll("body *").forEach(el => {
    if (el.closest("[hidden]") || getComputedStyle(el).display === "contents") return;
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
      out.cut.push(el.className + ": " + (el.textContent || "").trim().slice(0, 40));
  });
  document.querySelectorAll(".tile").forEach(el => {
    out.tiles += 1;
    const r = el.getBoundingClientRect();
    if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5 || r.height < floor)
      out.offscreen.push(el.dataset.lane);
  });
  return out;
}"""


def extra_departments(app, count):
    """More departments than the reference's nine, with long names, each with a few cards."""
    with app.app_context():
        for n in range(count):
            db.session.add(Department(name=f"Управление номер {n} по очень длинному кругу вопросов",
                                      short_name=f"Подразделение-{n}", colour="#607d8b", position=100 + n))
        db.session.commit()
        return [d.id for d in db.session.scalars(db.select(Department).where(Department.position >= 100))]


def assert_fits(page, size):
    measured = page.evaluate(MEASURE, FLOOR[size])
    assert measured["scrollH"] <= measured["innerH"] and measured["scrollW"] <= measured["innerW"], measured
    assert measured["small"] == [], measured["small"][:5]
    assert measured["cut"] == [], measured["cut"][:5]
    assert measured["offscreen"] == [], measured["offscreen"]
    return measured


def open_wall(browser, live_url, secret, size="1080p"):
    context, page = open_page(browser, live_url, SIZES[size])
    page.goto(f"/wall?token={secret}")
    expect(page.locator(".wall-tiles")).to_be_visible()
    return context, page


@pytest.mark.parametrize("data", ["demo", "20 departments"])
def test_the_wall_fits_a_tv_at_1080p_and_4k(app, make, browser, live_url, data):
    now = datetime.now(UTC)
    with app.app_context():
        demo.load_incidents(420)
    lanes = 10
    if data == "20 departments":
        for n, department_id in enumerate(extra_departments(app, 11)):
            for k in range(n % 4 + 1):
                due = now + timedelta(hours=k - 1)  # the first overdue and escalated: «Эскалация» must fit too
                make.incident(text=list(HOSTILE)[(n + k) % len(HOSTILE)], department_id=department_id,
                              first_answer_due=due, escalated_due=due if k == 0 else None,
                              status="new" if k % 2 else "in_progress")
        lanes = 21
    secret = make_token(app)
    for size in SIZES:
        context, page = open_wall(browser, live_url, secret, size)
        measured = assert_fits(page, size)
        assert measured["tiles"] == lanes
        if data == "20 departments":
            assert page.locator(".wcard .esc").count() >= 1
        text = page.locator("body").inner_text()
        for hostile, secret_part in HOSTILE.items():
            assert secret_part not in text, hostile
        page.watch.assert_clean()
        context.close()


def test_an_idle_minute_swaps_nothing_an_import_shows_within_3_s_and_a_revoked_token_stops(
        app, make, browser, live_url, monkeypatch):
    monkeypatch.setitem(app.config, "WALL_POLL_SECONDS", 1)
    now = datetime.now(UTC)
    for n in range(5):  # ages and times left that stay the same for minutes
        make.incident(text=f"Спокойная карточка {n}", received_at=now - timedelta(hours=3),
                      first_answer_due=now + timedelta(days=3))
    secret = make_token(app)
    context, page = open_wall(browser, live_url, secret)
    page.evaluate("""() => { window.__mutations = 0;
      new MutationObserver(list => { window.__mutations += list.length; })
        .observe(document.getElementById("wall-live"), {subtree: true, childList: true, characterData: true,
                                                         attributes: true}); }""")
    time.sleep(60)
    stats = page.evaluate("window.__wall")
    assert stats["polls"] >= 30 and stats["failures"] == 0, stats
    assert stats["swaps"] == 0 and page.evaluate("window.__mutations") == 0

    with app.app_context():
        started = time.monotonic()
        upsert_incidents([Record(external_id="wall-1", received_at=datetime.now(UTC), raw={"id": "wall-1"},
                                 text="Упал столб у остановки", author="Анна Иванова", platform="ВКонтакте",
                                 channel="im", topic="Дороги")], "cur")
    card = page.locator(".wcard.flash-new", has_text="Упал столб")
    expect(card).to_be_visible(timeout=WITHIN_MS - int((time.monotonic() - started) * 1000))
    assert "Анна Иванова" not in page.locator("body").inner_text()
    expect(page.locator(".wall-strip")).to_contain_text("За 15 минут: 1")
    page.watch.assert_clean()

    revoke_token(app)
    expect(page.locator(".wall-refused")).to_have_text("Доступ отозван", timeout=WITHIN_MS)
    context.close()


@pytest.fixture
def own_server(app):
    """The app on a port of the test's own, which the test may stop and start again."""
    state = {}

    def start(port=0):
        server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        state.update(server=server, thread=thread)
        return server.server_port

    def stop():
        state["server"].shutdown()
        state["server"].server_close()
        state["thread"].join(10)

    yield start, stop
    if state.get("server"):
        stop()


def test_the_banner_comes_when_the_server_stops_and_goes_when_it_returns_and_new_static_files_reload(
        app, make, browser, own_server, monkeypatch):
    monkeypatch.setitem(app.config, "WALL_POLL_SECONDS", 1)
    make.incident(text="Карточка на стене", first_answer_due=datetime.now(UTC) + timedelta(days=2))
    secret = make_token(app)
    start, stop = own_server
    port = start()
    context, page = open_wall(browser, f"http://127.0.0.1:{port}", secret)
    banner = page.locator("#wall-banner")
    expect(banner).to_be_hidden()
    shown_at = page.locator("#wall-time").inner_text()
    stop()
    expect(banner).to_be_visible(timeout=13_000)  # 10 s without an answer, and the second that notices it
    assert banner.inner_text().startswith("Нет связи с сервером. Данные на ")
    assert banner.inner_text()[-5:] in (shown_at, page.locator("#wall-time").inner_text())
    expect(page.locator(".wcard", has_text="Карточка на стене")).to_be_visible()  # the data stays
    start(port)
    expect(banner).to_be_hidden(timeout=15_000)  # the backoff tries at least every 10 s

    page.evaluate("window.__before_upgrade = true")
    monkeypatch.setitem(app.config, "WALL_ROTATE_SECONDS", 2)
    monkeypatch.setitem(app.extensions, "mcu_assets", "upgraded")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # (wait_for_function evaluates a string: the CSP forbids it)
        try:
            if not page.evaluate("() => window.__before_upgrade === true"):
                break
        except PlaywrightError:  # the page is being replaced
            pass
        time.sleep(0.2)
    expect(page.locator("body")).to_have_attribute("data-assets", "upgraded")
    # the new page rotates: the city, then the first department
    expect(page.locator("#wall-state")).to_have_attribute("data-view", "city")
    expect(page.locator(".wall-tiles.single")).to_be_visible(timeout=5000)
    context.close()
