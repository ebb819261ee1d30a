"""`python -m bench wall`: the soak of the control-room wall. The real server (gunicorn, one worker, four threads)
serves the demo data on a fresh SQLite database; Chromium at 1920×1080 keeps a city wall open, with a display
token, for MCU_BENCH_WALL_SECONDS (3600 by default) while a message arrives every MCU_BENCH_WALL_CHANGE_SECONDS (3)
through ingestion, as a feed brings them. Prints the browser's heap growth (after garbage collection, from the end
of the warm-up to the end), its console errors, the server worker's RSS growth over the same span, and the p95 of
a change reaching the screen (commit to the live region swapped)."""
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from mcu import demo
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.wall import tokens

from .data import make_app

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 60  # seconds before the first measurement: caches filled, the page's code compiled
TOPICS = ["Дороги", "Благоустройство", "Общественный транспорт", "ЖКХ", "Образование"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """The resident memory of the server's worker processes (its children), or of itself without any."""
    process = psutil.Process(pid)
    workers = process.children() or [process]
    return sum(p.memory_info().rss for p in workers) / 2**20


def heap_mb(cdp) -> float:
    """The page's JS heap in use after a full garbage collection."""
    cdp.send("HeapProfiler.collectGarbage")
    return cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20


def run(report) -> None:
    seconds = int(os.environ.get("MCU_BENCH_WALL_SECONDS", "3600"))
    every = float(os.environ.get("MCU_BENCH_WALL_CHANGE_SECONDS", "3"))
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(chromium):
        print("# bench.wall: no Chromium, skipped", flush=True)
        return
    app = make_app()
    url = app.config["DATABASE_URL"]
    with app.app_context():
        demo.load_incidents(420)
        secret = tokens.create("Стена бенча")[1]
    port = free_port()
    env = {**os.environ, "MCU_DATABASE_URL": url, "MCU_DEMO": "false", "MCU_SECURE_COOKIES": "false",
           "MCU_RATELIMIT_ENABLED": "false", "MCU_WALL_POLL_SECONDS": "2"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--threads", "4", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _soak(report, app, server.pid, f"http://127.0.0.1:{port}/wall?token={secret}", chromium, seconds, every)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(10)


def _soak(report, app, server_pid, wall_url, chromium, seconds, every):
    from playwright.sync_api import sync_playwright
    errors: list[str] = []
    latencies: list[float] = []
    n = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        for _attempt in range(50):  # the server is starting
            try:
                page.goto(wall_url)
                break
            except Exception:  # noqa: BLE001 — connection refused while gunicorn starts
                time.sleep(0.2)
        cdp = page.context.new_cdp_session(page)
        started = time.monotonic()
        heap0 = rss0 = None
        checkpoint = 600
        while time.monotonic() - started < seconds:
            if heap0 is not None and time.monotonic() - started >= checkpoint:  # a line every 10 minutes
                checkpoint += 600
                so_far = sorted(latencies)
                print(f"# at {int(time.monotonic() - started)} s: heap growth {heap_mb(cdp) - heap0:.1f} MB, "
                      f"console errors {len(errors)}, server RSS growth {rss_mb(server_pid) - rss0:.1f} MB, "
                      f"update p95 {so_far[int(0.95 * (len(so_far) - 1))]:.0f} ms, changes {n}", flush=True)
            if heap0 is None and time.monotonic() - started >= min(WARMUP, seconds / 4):
                heap0, rss0 = heap_mb(cdp), rss_mb(server_pid)
            n += 1
            swaps = page.evaluate("() => window.__wall.swaps")
            with app.app_context():
                upsert_incidents([Record(external_id=f"soak-{n}", received_at=datetime.now(UTC), raw={"n": n},
                                         text=f"Сообщение из ленты номер {n}, звоните 8 914 555-{n % 100:02d}-00",
                                         author="Житель", platform="ВКонтакте", channel="im",
                                         topic=TOPICS[n % len(TOPICS)])], "cur")
            committed = time.monotonic()
            while time.monotonic() - committed < 10:  # until the screen shows it (a swap of the live region)
                if page.evaluate("() => window.__wall.swaps") > swaps:
                    latencies.append((time.monotonic() - committed) * 1000)
                    break
                time.sleep(0.05)
            time.sleep(max(0.0, every - (time.monotonic() - committed)))
        heap1, rss1 = heap_mb(cdp), rss_mb(server_pid)
        nodes = page.evaluate("() => document.getElementsByTagName('*').length")
        browser.close()
    report("wall_seconds", seconds, "s")
    report("wall_changes", n, "")
    report("wall_heap_growth", heap1 - heap0, "MB")
    report("wall_console_errors", len(errors), "")
    report("wall_server_rss_growth", rss1 - rss0, "MB")
    report("wall_server_rss", rss1, "MB")
    report("wall_dom_elements", nodes, "")
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    report("wall_update_p95", p95, "ms")
    report("wall_update_median", statistics.median(ordered) if ordered else float("nan"), "ms")
    report("wall_changes_not_seen_within_10s", n - len(latencies), "")
    for text in errors[:5]:
        print(f"# console: {text}", flush=True)
