"""Reports: the yearly report page over 100,000 messages (every block: channels against two periods, topics,
departments with medians, weeks) and the same report as one XLSX workbook; on SQLite and, when a URL is
given, on PostgreSQL."""
import os

from .data import fill_year, make_app, settle
from .timing import median_ms

YEAR = 2025
TOTAL = 100_000
RUNS = 9


def _measure(report, app, label: str) -> None:
    fill_year(app, YEAR, TOTAL)
    settle(app, ("incident", "event"))
    client = app.test_client()
    client.post("/login", data={"login": "viewer", "password": "demo"})
    report(f"report_year_ms{label}", median_ms(client, f"/reports/?year={YEAR}", RUNS), "ms")
    report(f"report_xlsx_ms{label}", median_ms(client, f"/reports/export.xlsx?year={YEAR}", RUNS), "ms")
    report(f"report_chart_weeks_ms{label}", median_ms(client, f"/reports/chart/weeks.svg?year={YEAR}", RUNS), "ms")


def run(report) -> None:
    _measure(report, make_app(), "")
    url = os.environ.get("MCU_BENCH_DATABASE_URL")
    if url:
        from tests.conftest import reset_schema  # an empty schema, as the tests start from
        reset_schema(url)
        _measure(report, make_app(url), "_postgresql")
    else:
        print("# reports on PostgreSQL skipped: set MCU_BENCH_DATABASE_URL", flush=True)
