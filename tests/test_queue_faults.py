"""The queue's processes under faults, run for real as `make run` runs them: Redis killed, a worker killed
mid-poll, a process that keeps crashing. The board keeps serving, pages say what is wrong, the supervisor
restarts what died (with backoff), no work-horse outlives its worker, and it all recovers by itself."""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import pytest
from conftest import PASSWORD
from feedtools import FeedServer, contract_items, document, hang_mid_answer, wait_for
from proctools import Processes, children, env_for, leftovers, process_group, signed_in
from rq import Worker
from rq.utils import now

from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.models import FeedSource, User

FAST = {"WORKER_HEARTBEAT_SECONDS": 1, "QUEUE_STATUS_SECONDS": 0, "SCHEDULER_TICK_SECONDS": 1,
        "SUPERVISOR_BACKOFF_MAX_SECONDS": 2, "WORKER_COUNT": 2}


@pytest.fixture
def procs():
    running = Processes()
    yield running
    running.stop()
    assert leftovers() == []  # nothing started here survives: no worker, no work-horse, no scheduler


@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


def add_source(app, name, url, interval=60) -> int:
    with app.app_context():
        source = FeedSource(name=name, kind="cur_json", url=url, interval_seconds=interval, enabled=True, cursor="",
                            credentials="")
        db.session.add(source)
        db.session.commit()
        return source.id


def admin(app, make) -> str:
    with app.app_context():
        return db.session.get(User, make.user("admin")).login


def text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def test_with_redis_killed_the_board_serves_says_so_and_the_queue_recovers_by_itself(app, make, feed, procs):
    directory = tempfile.mkdtemp(prefix="mcu-redis-kill-")
    redis, url = mcu_queue.start_embedded(directory)
    try:
        feed.routes["/live"] = (200, document(contract_items("live", 2)))
        add_source(app, "Живой", feed.url("/live"), interval=5)
        env = env_for(app, url, **FAST)
        base = procs.web(env)
        procs.supervisor("worker", env)
        procs.supervisor("cron", env)
        http = signed_in(base, admin(app, make), PASSWORD)
        wait_for(lambda: feed.hits.get("/live"), timeout=30)
        wait_for(lambda: "Обработчики очереди работают: 2" in text(http.get(base + "/sources/")), timeout=30)

        redis.kill()  # kill -9
        redis.wait()
        killed = time.monotonic()
        board = http.get(base + "/board", timeout=5)
        assert board.status_code == 200 and time.monotonic() - killed < 2
        assert "очередь недоступна" in http.get(base + "/sources/badge").text
        assert "Очередь недоступна" in text(http.get(base + "/sources/"))
        hits = feed.hits["/live"]

        time.sleep(3)
        redis, _url = mcu_queue.start_embedded(directory)  # Redis is back; nobody touches the queue's processes
        back = time.monotonic()
        wait_for(lambda: feed.hits["/live"] > hits, timeout=30)
        polled_after = time.monotonic() - back
        wait_for(lambda: "Обработчики очереди работают: 2" in text(http.get(base + "/sources/")), timeout=30)
        badge = http.get(base + "/sources/badge").text
        assert "очередь недоступна" not in badge and "не работают" not in badge
        print(f"\nRedis back -> first poll after {polled_after:.1f} s")
    finally:
        procs.stop()
        redis.kill()
        redis.wait()


def test_a_killed_worker_takes_its_work_horse_along_and_shows_as_silent(app, make, redis_conn, redis_url, feed,
                                                                        procs):
    feed.routes["/hang"] = hang_mid_answer(feed, document(contract_items("silent", 2)))
    add_source(app, "Без обработчика", feed.url("/hang"))
    env = env_for(app, redis_url, **FAST)
    base = procs.web(env)
    worker = procs.start([sys.executable, "-m", "flask", "--app", "mcu", "jobs", "worker"], env)  # no supervisor
    procs.supervisor("cron", env)
    http = signed_in(base, admin(app, make), PASSWORD)
    wait_for(lambda: "Обработчики очереди работают: 1" in text(http.get(base + "/sources/")), timeout=30)
    assert "обработчики очереди не работают" not in http.get(base + "/sources/badge").text
    assert feed.hanging.wait(60), "the worker never started the poll"
    forks = children(worker.pid)  # the work-horse (in a process group of its own: RQ's setpgrp) and RQ's scheduler
    assert any(process_group(pid) != worker.pid for pid in forks) and len(forks) == 2

    os.kill(worker.pid, signal.SIGKILL)  # the worker alone, as the OOM killer would
    worker.wait()
    killed = time.monotonic()
    wait_for(lambda: all(_zombie(pid) for pid in forks), timeout=5, step=0.05)
    print(f"\nhorse and scheduler gone {time.monotonic() - killed:.2f} s after their worker")
    wait_for(lambda: "Обработчики очереди не работают" in text(http.get(base + "/sources/")), timeout=10)
    print(f"worker killed -> the page says so after {time.monotonic() - killed:.1f} s")
    assert "обработчики очереди не работают" in http.get(base + "/sources/badge").text
    assert http.get(base + "/board").status_code == 200


def test_a_worker_killed_mid_poll_is_restarted_and_its_work_horse_dies_with_it(app, redis_conn, redis_url, feed,
                                                                               procs):
    full = document(contract_items("horse", 3))
    feed.routes["/hang"] = hang_mid_answer(feed, full)
    add_source(app, "Зависший", feed.url("/hang"), interval=5)
    env = env_for(app, redis_url, **{**FAST, "WORKER_COUNT": 1})
    supervisor = procs.supervisor("worker", env)
    procs.supervisor("cron", env)
    assert feed.hanging.wait(60), "no worker started the poll"

    worker = children(supervisor.pid)[0]
    horse = next(pid for pid in children(worker) if process_group(pid) != process_group(worker))  # RQ's setpgrp
    os.kill(worker, signal.SIGKILL)  # the worker alone: its horse is in a process group of its own
    killed = time.monotonic()
    wait_for(lambda: _zombie(horse), timeout=5, step=0.05)
    print(f"\nhorse gone {time.monotonic() - killed:.2f} s after its worker")

    def new_worker_signalling():
        fresh = [w for w in Worker.all(connection=redis_conn) if w.pid != worker and w.last_heartbeat
                 and (now() - w.last_heartbeat).total_seconds() < 3]
        return fresh and fresh[0].pid in children(supervisor.pid)

    wait_for(new_worker_signalling, timeout=20)
    print(f"worker restarted and signalling {time.monotonic() - killed:.1f} s after the kill")


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def supervise_for(seconds: float, child: str, backoff_max: float, stable_after: float) -> tuple[list[str], float]:
    """Run a Supervisor over `python -c CHILD` for `seconds` from its first start, stop it with SIGTERM; its log,
    and how long it took to stop."""
    script = ("import sys; from mcu.supervise import Child, Supervisor; import logging; "
              "logging.basicConfig(level=logging.INFO, format='%(message)s'); "
              f"sys.exit(Supervisor([Child('c', [sys.executable, '-c', {child!r}])], {backoff_max}, "
              f"{stable_after}).run())")
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=dict(os.environ, MCU_TEST_OWNER=str(os.getpid())))
    first = proc.stderr.readline()
    assert "started" in first, first
    time.sleep(seconds)
    proc.send_signal(signal.SIGTERM)
    stopping = time.monotonic()
    _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return [first.strip(), *err.splitlines()], time.monotonic() - stopping


def delays(lines: list[str]) -> list[int]:
    return [int(m.group(1)) for m in (re.search(r"restarting in (\d+) s", line) for line in lines) if m]


def test_a_crashing_child_is_restarted_with_capped_exponential_backoff(procs):
    lines, _stop = supervise_for(6.5, "pass", backoff_max=2, stable_after=60)
    assert delays(lines)[:4] == [1, 2, 2, 2], lines


def test_a_child_that_ran_long_enough_starts_the_backoff_again(procs):
    lines, _stop = supervise_for(4.0, "import time; time.sleep(0.8)", backoff_max=8, stable_after=0.5)
    assert len(delays(lines)) >= 2 and set(delays(lines)) == {1}, lines


def test_stopping_the_supervisor_stops_its_child_at_once(procs):
    lines, stop_seconds = supervise_for(0.5, "import time; time.sleep(60)", backoff_max=2, stable_after=60)
    assert stop_seconds < 1.5  # SIGTERM passed on at once, not the grace period's SIGKILL
    assert delays(lines) == [], lines
