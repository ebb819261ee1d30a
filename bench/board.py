"""Board render: full and single-department, and SQL statements per render for 200 and 2,000 cards."""
import statistics
import time

from sqlalchemy import event, text

from mcu.extensions import db
from mcu.models import Department

from .data import fill, make_app
from .timing import median_ms

RUNS = 40


def _median_ms(client, path: str) -> float:
    return median_ms(client, path, RUNS, warm=3)


def _drawn_median_ms(app, client, path: str) -> float:
    """Every lane drawn for this request (no shared fragment yet: the first screen after a change), the card
    cache warm."""
    times = []
    for _ in range(RUNS // 2):
        app.extensions.pop("mcu_fragments", None)
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _cold_median_ms(app, client, path: str, runs: int = 7) -> float:
    """A render with an empty card cache, as after a restart: every card is built from its row."""
    times = []
    for _ in range(runs):
        app.extensions.pop("mcu_card_cache", None)
        app.extensions.pop("mcu_fragments", None)
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _statements(app, client, path: str) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    app.extensions.pop("mcu_fragments", None)  # the statements of drawing the lanes, not of reusing them
    event.listen(engine, "before_cursor_execute", counter)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    return count


def run(report) -> None:
    app = make_app()
    fill(app, total=100_000, open_count=2_000)
    client = app.test_client()
    client.post("/login", data={"login": "operator", "password": "demo"})
    with app.app_context():
        roads = db.session.scalar(db.select(Department.id).filter_by(short_name="Дороги"))
        transport = db.session.scalar(db.select(Department.id).filter_by(short_name="Транспорт"))
    report("board_render_full_2000_open_100k_total", _drawn_median_ms(app, client, "/board"), "ms")
    report("board_render_full_shared_lanes", _median_ms(client, "/board"), "ms")
    report("board_render_full_cold_cache", _cold_median_ms(app, client, "/board"), "ms")
    report("board_render_department_transport", _drawn_median_ms(app, client, f"/board?department={transport}"),
           "ms")
    report("board_render_department_roads", _drawn_median_ms(app, client, f"/board?department={roads}"), "ms")
    statements_2000 = _statements(app, client, "/board")
    with app.app_context():  # close 1,800 of the open cards: 200 remain
        db.session.execute(text(
            "UPDATE incident SET status = 'rejected' WHERE id IN "
            "(SELECT id FROM incident WHERE status IN ('new','in_progress','interim','returned','answered') "
            "ORDER BY id LIMIT 1800)"))
        db.session.commit()
    statements_200 = _statements(app, client, "/board")
    report("board_sql_statements_200_cards", statements_200, "statements")
    report("board_sql_statements_2000_cards", statements_2000, "statements")


def run_250k(report) -> None:
    """The city board with 250,000 open cards: a column shows its cap, the statement does not grow with them."""
    app = make_app()
    fill(app, total=250_000, open_count=250_000)
    client = app.test_client()
    client.post("/login", data={"login": "operator", "password": "demo"})
    start = time.perf_counter()
    response = client.get("/board")
    first = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    report("board_cards_250k_first_ms", first, "ms")  # the database file cold, right after the fill
    report("board_cards_250k_ms", _median_ms(client, "/board"), "ms")
    report("board_cards_250k_drawn_ms", _drawn_median_ms(app, client, "/board"), "ms")
    report("board_cards_250k_cold_cache_ms", _cold_median_ms(app, client, "/board"), "ms")
