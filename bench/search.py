"""Search over 100,000 incidents (2,000 open), through the list page and the board, on SQLite and, when a URL
is given, on PostgreSQL: a handful of realistic queries, each page answered anew (no rendered lane reused)."""
import statistics
import time
from urllib.parse import quote

from sqlalchemy import select, update

from mcu.extensions import db
from mcu.models import Incident
from mcu.search import search_columns

from .data import fill, on_both_databases, settle

RUNS = 15
RARE = "Пожарный гидрант на {n}-м доме течёт"  # five messages hold the rare word
QUERIES = {  # the share of the 100,000 messages each one matches is printed beside it
    "one_word": "светофоры",
    "two_words": "яма колёса",
    "phrase": "«не работает»",
    "rare_word": "гидранты",
    "common_word": "дворе",
}


def _prepare(app) -> None:
    """Five messages with a rare word, written as every writer does (the FTS5 triggers see the update)."""
    with app.app_context():
        ids = db.session.scalars(select(Incident.id).order_by(Incident.id.desc()).limit(5)).all()
        for n, ident in enumerate(ids, 1):
            message = RARE.format(n=n)
            db.session.execute(update(Incident).where(Incident.id == ident).values(
                text=message, **search_columns(message, "", "")))
        db.session.commit()
    settle(app)  # a live table has its statistics from autovacuum; a new one not


def _fresh_lanes(app) -> None:
    """Forget the lanes rendered so far, as for a query nobody asked before (no Redis in the bench)."""
    fragments = app.extensions.get("mcu_fragments")
    if fragments is not None:
        fragments._local.clear()
        fragments._down_until = float("inf")


def _time(app, client, path: str, fresh: bool) -> float:
    if fresh:
        _fresh_lanes(app)
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (path, response.status_code)
    return elapsed * 1000


def _measure(report, app, label: str) -> None:
    fill(app, total=100_000, open_count=2_000)
    _prepare(app)
    client = app.test_client()
    assert client.post("/login", data={"login": "operator", "password": "demo"}).status_code == 302
    for path in ("/incidents/", "/board"):  # templates, lookups and the card cache warm
        _time(app, client, path, True)
    every = []
    for name, words in QUERIES.items():
        q = quote(words)
        list_times = [_time(app, client, f"/incidents/?q={q}", False) for _ in range(RUNS)]
        board_times = [_time(app, client, f"/board?q={q}", True) for _ in range(RUNS)]
        found = client.get(f"/incidents/?q={q}").get_data(as_text=True)
        count = found.split("Найдено: ", 1)[1].split("<", 1)[0]
        report(f"search_{label}_list_{name}_median_ms", statistics.median(list_times), f"ms ({count} found)")
        report(f"search_{label}_board_{name}_median_ms", statistics.median(board_times), "ms")
        every += list_times + board_times
    board = [_time(app, client, "/board", True) for _ in range(RUNS)]
    report(f"search_{label}_board_no_search_median_ms", statistics.median(board), "ms (the same, no search)")
    worst = [_time(app, client, "/incidents/?q=" + quote("ул"), False) for _ in range(5)]
    report(f"search_{label}_list_three_quarters_median_ms", statistics.median(worst), "ms («ул»: 76 % of messages)")
    suffix = "" if label == "sqlite" else "_" + label
    report(f"search_100k_median_ms{suffix}", statistics.median(every), "ms")


def run(report) -> None:
    on_both_databases(report, _measure, "search")
