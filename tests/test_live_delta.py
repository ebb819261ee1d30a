"""Only what changed crosses the wire (mcu/board/delta.py): a screen polling a changed lane gets the cards and cells
it already shows, unchanged, as stubs naming them, and in full only what changed; a screen whose lane this server
never drew at its version, or that lacks what a stub names (tests/browser/test_live_browser.py), gets it whole."""
import re
import time
from datetime import UTC, datetime, timedelta

from test_live import HX, move, poll_url, signed_in

from mcu.extensions import db
from mcu.models import Incident


def version_of(app, incident_id) -> int:
    with app.app_context():
        return db.session.get(Incident, incident_id).version


def test_a_changed_lane_brings_the_moved_card_in_full_and_the_rest_as_stubs(app, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    stay = [make.incident(text=f"Остаётся на месте {n}", department_id=roads) for n in range(12)]
    moved = make.incident(text="Переедет в работу", department_id=roads)
    bus = make.incident(text="Автобус не пришёл", department_id=transport)
    client, board = signed_in(app, make, "operator")
    url = poll_url(board)
    assert client.get(url, headers=HX).status_code == 204
    assert move(client, board, moved, version_of(app, moved), to_status="in_progress").status_code == 200

    answer = client.get(url, headers=HX)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    lane = html[html.index(f'id="lane-{roads}"'):]
    moved_cell = lane[lane.index(f'id="cell-{roads}-in_progress"'):]
    assert f'id="incident-{moved}"' in moved_cell[:moved_cell.index("</section>")] and "Переедет в работу" in html
    for card in stay:  # the screen has them: named, not sent
        assert re.search(rf'<li data-keep="incident-{card}" data-version="\d+"></li>', lane)
    assert "Остаётся на месте" not in html
    for status in ("interim", "returned", "answered", "resolved"):  # cells nothing changed in: one stub each
        assert re.search(rf'<section data-keep="cell-{roads}-{status}" data-sum="[0-9a-f]+"></section>', lane)
    assert f'id="lane-{transport}"' not in html and "Автобус" not in html and f"incident-{bus}" not in html

    for version in ("987654", "whole"):  # a version this server never drew; no version (static/js/board.js)
        whole = client.get(re.sub(r"(%2C|,)" + str(roads) + r"\.\d+", rf"\g<1>{roads}.{version}", url), headers=HX)
        whole_html = whole.get_data(as_text=True)  # the lane whole, no stub
        assert whole.status_code == 200 and "data-keep" not in whole_html
        assert all(f"Остаётся на месте {n}<" in whole_html for n in range(12))
        assert len(html) * 2 < len(whole_html)


def test_a_card_that_turned_overdue_comes_in_full_though_its_version_did_not_change(app, make):
    roads = make.department("Дороги")
    late = make.incident(text="Скоро просрочится", department_id=roads,
                         first_answer_due=datetime.now(UTC) + timedelta(seconds=2))
    calm = make.incident(text="Спокойная", department_id=roads,
                         first_answer_due=datetime.now(UTC) + timedelta(days=2))
    other = make.incident(text="Другую переместят", department_id=roads)
    client, board = signed_in(app, make, "operator")
    assert f'id="incident-{late}"' in board and "overdue" not in board.split(f'id="incident-{late}"')[0][-60:]
    time.sleep(2.5)
    assert move(client, board, other, version_of(app, other), to_status="in_progress").status_code == 200
    html = client.get(poll_url(board), headers=HX).get_data(as_text=True)
    assert re.search(rf'<li class="card overdue" id="incident-{late}"', html)  # its colour changed: sent
    assert re.search(rf'<li data-keep="incident-{calm}" data-version="\d+"></li>', html)  # only its age and time left


def test_screens_polling_from_the_same_version_share_one_diff(app, make, monkeypatch):
    from mcu.board import delta
    roads = make.department("Дороги")
    cards = [make.incident(text=f"Карточка {n}", department_id=roads) for n in range(5)]
    screens = [signed_in(app, make, "viewer") for _ in range(4)]
    made = []
    real = delta.thin
    monkeypatch.setattr(delta, "thin", lambda *args: made.append(1) or real(*args))
    operator, board = signed_in(app, make, "operator")
    assert move(operator, board, cards[0], version_of(app, cards[0]), to_status="in_progress").status_code == 200
    for client, html in screens:
        answer = client.get(poll_url(html), headers=HX).get_data(as_text=True)
        assert f'<li data-keep="incident-{cards[1]}" data-version=' in answer
    assert len(made) == 1


def test_screens_asking_at_once_in_one_process_cost_one_render(app, make):
    """Single flight: the threads of one process asking for the same new lane at once wait for one render."""
    from concurrent.futures import ThreadPoolExecutor
    roads = make.department("Дороги")
    card = make.incident(text="Яма", department_id=roads)
    screens = [signed_in(app, make, "viewer") for _ in range(8)]
    operator, board = signed_in(app, make, "operator")
    assert move(operator, board, card, version_of(app, card), to_status="in_progress").status_code == 200
    fragments = app.extensions["mcu_fragments"]
    fragments._local.clear()  # nothing held yet (and no Redis in the tests): every thread finds the lane missing
    before = fragments.renders

    def ask(screen):
        client, html = screen
        return client.get(poll_url(html), headers=HX).get_data(as_text=True)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, screens))
    assert all(f'id="incident-{card}"' in answer for answer in answers)
    assert fragments.renders - before == 1


def test_a_cells_sum_is_its_count_and_cards_as_the_page_computes_it():
    """The sum a cell stub carries is FNV-1a of «count|id.version,…» (static/js/board.js computes the same over
    the page's own cell): known values, so the two cannot drift apart unnoticed."""
    from mcu.board.delta import cell_sum, fnv
    assert fnv("") == "811c9dc5" and fnv("a") == "e40c292c" and fnv("foobar") == "bf9cf968"  # the published vectors
    cell = ('<section class="cell status-new" id="cell-7-new"><h3 class="cell-head"><span class="count">12</span></h3>'
            '<ol class="cards"><li class="card" id="incident-5" data-id="5" data-version="3"></li>'
            '<li class="card overdue" id="incident-9" data-id="9" data-version="1"></li></ol></section>')
    assert cell_sum(cell) == fnv("12|5.3,9.1")
