"""Deadlines: 100,000 first-answer deadlines computed one by one (the walk behind manual entry, demo data
and the ingestion's fallback), for messages spread over a year, one in five urgent."""
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mcu.config import Defaults
from mcu.deadlines import first_answer_due

CALLS = 100_000
REPEATS = 3


def run(report) -> None:
    rng = random.Random(13)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randint(0, 365 * 86400), microseconds=rng.randint(0, 999_999))
               for _ in range(CALLS)]
    cfg = {name: getattr(Defaults, name) for name in dir(Defaults) if name.isupper()}
    tz = ZoneInfo(cfg["TIMEZONE"])
    first_answer_due(moments[0], False, cfg, tz)  # any one-off set-up (a calendar's tables) is not measured
    best = float("inf")
    for _ in range(REPEATS):
        began = time.perf_counter()
        for n, moment in enumerate(moments):
            first_answer_due(moment, n % 5 == 0, cfg, tz)
        best = min(best, time.perf_counter() - began)
    report("first-answer deadlines, 100,000 calls one by one (best of 3)", best * 1000, "ms")
    report("the same, per call", best / CALLS * 1e6, "µs")
