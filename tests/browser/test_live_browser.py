"""Live in real browsers: a move reaches every screen that shows its lane within 3 s, with a highlight, and no
other; idle polling changes nothing on the page."""
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from mcu.extensions import db
from mcu.incidents import verbs
from mcu.models import User
from mcu.timefmt import city_tz

from .conftest import DESKTOP, log_in, login_name, open_page

WITHIN_MS = 3000  # the promise: every screen current within 3 s of a change

# counts the polls, what htmx swapped (a 204 is a poll that swapped nothing) and every change in the lanes
WATCH_SWAPS = """() => {
  window.__polls = 0; window.__swaps = 0; window.__mutations = 0;
  document.addEventListener("htmx:before:request", e => { if (e.target.id === "board-poll") window.__polls += 1; });
  document.addEventListener("htmx:after:swap", e => {
    const ctx = e.detail && e.detail.ctx;
    const mine = ctx && ctx.sourceElement && ctx.sourceElement.id === "board-poll";
    if (mine && !(ctx.response && ctx.response.status === 204)) window.__swaps += 1;
  });
  new MutationObserver(list => { window.__mutations += list.length; })
    .observe(document.getElementById("lanes"), {subtree: true, childList: true, attributes: true});
}"""


@pytest.fixture
def fast_polls(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)


def move(app, user_id, incident_id, to_status):
    """A move made elsewhere (another person's screen), through the same verb the endpoint calls."""
    with app.app_context():
        user = db.session.get(User, user_id)
        verbs.move_incident(incident_id, user, cfg=app.config, tz=city_tz(), to_status=to_status, before="top")


def screens(browser, live_url, app, make, people):
    pages = []
    for role, department in people:
        context, page = open_page(browser, live_url, DESKTOP)
        log_in(page, login_name(app, make.user(role, department)))
        page.evaluate(WATCH_SWAPS)
        pages.append((context, page))
    return pages


def test_a_move_shows_on_every_screen_of_its_lane_within_3_s_and_on_no_other(app, make, browser, live_url,
                                                                               fast_polls):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    card = make.incident(text="Яма у школы на Ленина", department_id=roads)
    bus = make.incident(text="Автобус №4 не пришёл", department_id=transport)
    mover = make.user("admin")
    opened = screens(browser, live_url, app, make, [("operator", None), ("head", "Дороги"), ("viewer", None),
                                                    ("head", "Транспорт")])
    city, roads_head, viewer, transport_head = (page for _context, page in opened)
    time.sleep(1.5)  # every screen has polled at least once and is idle
    for page in (city, roads_head, viewer, transport_head):
        assert page.evaluate("window.__swaps") == 0, page.url

    move(app, mover, card, "in_progress")
    for page in (city, roads_head, viewer):
        moved = page.locator(f"#cell-{roads}-in_progress #incident-{card}")
        expect(moved).to_be_visible(timeout=WITHIN_MS)
        expect(moved).to_have_class(re.compile(r"\bchanged\b"), timeout=1000)  # the highlight
        expect(page.locator(f"#cell-{roads}-new #incident-{card}")).to_have_count(0)
    time.sleep(2)
    assert transport_head.evaluate("window.__mutations") == 0  # another department's change: not one node

    move(app, mover, bus, "in_progress")
    expect(transport_head.locator(f"#cell-{transport}-in_progress #incident-{bus}")).to_be_visible(timeout=WITHIN_MS)
    swaps = roads_head.evaluate("window.__swaps")
    time.sleep(2)
    assert roads_head.evaluate("window.__swaps") == swaps  # the roads head is not disturbed by transport
    for context, page in opened:
        page.watch.assert_clean()
        context.close()


def test_idle_polling_swaps_nothing(app, make, browser, live_url, fast_polls):
    make.incident(text="Тихая карточка")
    (context, page), = screens(browser, live_url, app, make, [("operator", None)])
    time.sleep(12)
    assert page.evaluate("window.__polls") >= 8  # it did poll, about once a second
    assert page.evaluate("window.__swaps") == 0 and page.evaluate("window.__mutations") == 0
    page.watch.assert_clean()
    context.close()


def test_an_open_dialog_and_typed_text_survive_a_change_in_the_lane(app, make, browser, live_url, fast_polls):
    roads = make.department("Дороги")
    card = make.incident(text="Открою меню этой карточки", department_id=roads)
    other = make.incident(text="А эту переместит другой", department_id=roads)
    mover = make.user("admin")
    (context, page), = screens(browser, live_url, app, make, [("head", "Дороги")])
    page.locator(f"#incident-{card} .card-move").click()
    dialog = page.locator("#move-dialog-slot dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".move-form textarea[name=text]").fill("Текст, который нельзя потерять")
    move(app, mover, other, "in_progress")
    time.sleep(3)  # polls wait while the dialog is open
    expect(dialog).to_be_visible()
    expect(dialog.locator(".move-form textarea[name=text]")).to_have_value("Текст, который нельзя потерять")
    dialog.locator(".dialog-cancel").click()
    expect(page.locator(f"#cell-{roads}-in_progress #incident-{other}")).to_be_visible(timeout=WITHIN_MS)
    page.watch.assert_clean()
    context.close()


MARK = """() => { document.querySelectorAll('#lanes .card, #lanes .cell').forEach(el => { el.__own = true; }); }"""
OWN = """id => { const el = document.getElementById(id); return !!(el && el.__own); }"""


def test_a_changed_lane_keeps_the_screens_own_cards_and_brings_a_lacking_one_back(app, make, browser, live_url,
                                                                                  fast_polls):
    """A changed lane comes thinned (only what changed in full): the unchanged cards and cells stay the very elements
    the screen had, the moved card arrives; a card the screen lost is brought back by the lane sent whole."""
    roads = make.department("Дороги")
    stay = [make.incident(text=f"Остаётся на месте {n}", department_id=roads) for n in range(6)]
    moved, later = make.incident(text="Переедет в работу", department_id=roads), make.incident(
        text="Переедет потом", department_id=roads)
    waiting = [make.incident(text=f"Ждёт ответа {n}", department_id=roads, status="returned") for n in range(3)]
    mover = make.user("admin")
    (context, page), = screens(browser, live_url, app, make, [("head", "Дороги")])
    wholes = []  # polls that asked for every lane whole: the page found a stub it could not fill
    page.on("request", lambda request: wholes.append(request.url) if ".whole" in request.url else None)
    page.evaluate(MARK)
    move(app, mover, moved, "in_progress")
    expect(page.locator(f"#cell-{roads}-in_progress #incident-{moved}")).to_be_visible(timeout=WITHIN_MS)
    for card in stay:
        expect(page.locator(f"#cell-{roads}-new #incident-{card}")).to_contain_text("Остаётся на месте")
        assert page.evaluate(OWN, f"incident-{card}"), card  # the same element, not a copy of it
    assert page.evaluate(OWN, f"cell-{roads}-interim")  # a cell nothing changed in: kept whole
    assert page.evaluate(OWN, f"cell-{roads}-returned")  # with its cards: the page's sum is the server's
    assert all(page.evaluate(OWN, f"incident-{card}") for card in waiting)
    assert page.locator("[data-keep]").count() == 0
    time.sleep(1.5)  # a poll more: nothing asked whole
    assert wholes == []

    page.evaluate(f"() => document.getElementById('incident-{stay[0]}').remove()")  # the screen lost a card
    move(app, mover, later, "in_progress")
    expect(page.locator(f"#cell-{roads}-in_progress #incident-{later}")).to_be_visible(timeout=WITHIN_MS + 2000)
    expect(page.locator(f"#cell-{roads}-new #incident-{stay[0]}")).to_contain_text("Остаётся на месте 0")
    assert page.locator("[data-keep]").count() == 0 and wholes

    right = page.get_attribute(f"#incident-{stay[1]}", "data-version")  # the screen's card is not what the
    page.evaluate(f"() => {{ document.getElementById('incident-{stay[1]}').dataset.version = '999'; }}")  # server thinks
    move(app, mover, stay[2], "in_progress")
    expect(page.locator(f"#cell-{roads}-in_progress #incident-{stay[2]}")).to_be_visible(timeout=WITHIN_MS + 2000)
    expect(page.locator(f"#incident-{stay[1]}")).to_have_attribute("data-version", right)
    assert page.locator("[data-keep]").count() == 0
    page.watch.assert_clean()
    context.close()


def test_a_cards_age_moves_on_in_an_open_page(app, make, browser, live_url):
    """A card kept across updates keeps its element, so its age («сейчас», «40 мин», «3 ч») moves in the page."""
    card = make.incident(text="Возраст идёт", received_at=datetime.now(UTC) - timedelta(seconds=5))
    (context, page), = screens(browser, live_url, app, make, [("operator", None)])
    age = page.locator(f"#incident-{card} time")
    expect(age).to_have_text("сейчас")
    page.evaluate(f"""() => {{ const t = document.querySelector('#incident-{card} time');
                            t.dataset.at = String(Math.floor(Date.now() / 1000) - 3 * 3600 - 60);
                            document.dispatchEvent(new Event('htmx:after:settle')); }}""")
    expect(age).to_have_text("3 ч")
    page.watch.assert_clean()
    context.close()
