"""Background polling on a real Redis: one job per due source, never two at once, a killed worker's poll
runs again without storing anything twice, and Redis going away neither breaks the board nor needs a hand."""
import os
import signal
import subprocess
import sys
import tempfile

import pytest
from feedtools import (
    FeedServer,
    contract_items,
    document,
    hang_mid_answer,
    wait_for,
)
from rq import Retry, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.lanes import read_versions
from mcu.models import FeedSource, Incident, utcnow
from mcu.sources import polling, scheduling

FLASK = os.path.join(os.path.dirname(sys.executable), "flask")



@pytest.fixture
def feed():
    server = FeedServer()
    yield server
    server.close()


def add_source(app, name, url, **fields) -> int:
    with app.app_context():
        values = {"kind": "cur_json", "interval_seconds": 60, "enabled": True, "cursor": "", "credentials": ""}
        source = FeedSource(name=name, url=url, **{**values, **fields})
        db.session.add(source)
        db.session.commit()
        return source.id


def tick(app, conn) -> list[str]:
    with app.app_context():
        return scheduling.enqueue_due(conn, 300)


def work(conn):
    SimpleWorker([mcu_queue.QUEUE_NAME], connection=conn).work(burst=True)


def count(app, source_name=None) -> int:
    with app.app_context():
        stmt = db.select(db.func.count(Incident.id))
        if source_name:
            stmt = stmt.where(Incident.source == source_name)
        return db.session.scalar(stmt)


def subprocess_env(app, redis_url, **extra) -> dict:
    env = dict(os.environ, MCU_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MCU_REDIS_URL=redis_url,
               MCU_DEMO="false", MCU_SECRET_KEY="test", FLASK_APP="mcu", **extra)
    env.pop("MCU_TEST_REDIS_URL", None)
    return env


def test_the_scheduler_enqueues_one_poll_per_due_source_and_picks_up_new_ones(app, redis_conn):
    first = add_source(app, "Первый", "http://127.0.0.1:9/a")
    add_source(app, "Выключенный", "http://127.0.0.1:9/b", enabled=False)
    add_source(app, "Недавний", "http://127.0.0.1:9/c", last_poll_at=utcnow())
    enqueued = tick(app, redis_conn)
    assert len(enqueued) == 1 and Job.fetch(enqueued[0], connection=redis_conn).args == (first,)
    assert tick(app, redis_conn) == []  # its poll is still queued: no second one
    later = add_source(app, "Добавлен позже", "http://127.0.0.1:9/d")
    enqueued = tick(app, redis_conn)
    assert [Job.fetch(j, connection=redis_conn).args for j in enqueued] == [(later,)]


def test_a_poll_is_never_run_while_another_poll_of_the_same_source_runs(app, redis_conn, feed):
    feed.routes["/f"] = (200, document(contract_items("lock", 2)))
    source = add_source(app, "Занятый", feed.url("/f"))
    redis_conn.set(polling.LOCK_KEY.format(source), "another-job", ex=60)
    tick(app, redis_conn)
    work(redis_conn)
    assert feed.hits.get("/f") is None and count(app, "Занятый") == 0
    redis_conn.delete(polling.LOCK_KEY.format(source))
    with app.app_context():
        db.session.execute(db.update(FeedSource).values(last_poll_at=None))
        db.session.commit()
    tick(app, redis_conn)
    work(redis_conn)
    assert count(app, "Занятый") == 2


def test_the_same_batch_ingested_twice_changes_nothing(app, redis_conn, feed):
    feed.routes["/same"] = (200, document(contract_items("same", 4)))
    source = add_source(app, "Повтор", feed.url("/same"))
    tick(app, redis_conn)
    work(redis_conn)
    with app.app_context():
        before = (read_versions(),
                  sorted(db.session.execute(db.select(Incident.external_id, Incident.version)).all()))
        db.session.execute(db.update(FeedSource).values(last_poll_at=None, cursor=""))
        db.session.commit()
    tick(app, redis_conn)
    work(redis_conn)
    assert feed.hits["/same"] == 2
    with app.app_context():
        db.session.expire_all()
        after = (read_versions(),
                 sorted(db.session.execute(db.select(Incident.external_id, Incident.version)).all()))
        assert db.session.get(FeedSource, source).consecutive_failures == 0
    assert after == before and len(after[1]) == 4


def test_a_worker_killed_mid_poll_has_the_poll_run_again_without_duplicates(app, redis_conn, redis_url, feed,
                                                                             monkeypatch):
    monkeypatch.setattr(scheduling, "POLL_RETRY", Retry(max=3, interval=0))  # requeue at once, not after 15 s
    full = document(contract_items("kill", 5))
    feed.routes["/hang"] = hang_mid_answer(feed, full)
    source = add_source(app, "Зависший", feed.url("/hang"))
    job_id = tick(app, redis_conn)[0]
    env = subprocess_env(app, redis_url)
    worker = subprocess.Popen([FLASK, "jobs", "worker"], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert feed.hanging.wait(60), "the worker never started the poll"
        assert Job.fetch(job_id, connection=redis_conn).get_status() == JobStatus.STARTED
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work-horse, mid-answer
        worker.wait()
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    feed.routes["/hang"] = (200, full)
    feed.release.set()
    # RQ's abandoned-job handling, as the next scheduler tick runs it once the dead worker's heartbeat expires
    StartedJobRegistry(mcu_queue.QUEUE_NAME, connection=redis_conn).cleanup(timestamp=utcnow().timestamp() + 3600)
    assert Job.fetch(job_id, connection=redis_conn).get_status() == JobStatus.QUEUED
    subprocess.run([FLASK, "jobs", "worker", "--burst"], env=env, check=True, timeout=120,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert Job.fetch(job_id, connection=redis_conn).get_status() == JobStatus.FINISHED
    with app.app_context():
        ids = list(db.session.scalars(db.select(Incident.external_id).where(Incident.source == "Зависший")))
        assert db.session.get(FeedSource, source).last_success_at is not None
    assert sorted(ids) == [f"kill-{i}" for i in range(1, 6)]


def test_with_redis_down_the_board_serves_and_says_so_and_polling_resumes_by_itself(app, client, auth, make,
                                                                                     feed, monkeypatch):
    feed.routes["/later"] = (200, document(contract_items("later", 3)))
    add_source(app, "После сбоя", feed.url("/later"))
    directory = tempfile.mkdtemp(prefix="mcu-redis-down-")
    url = "unix://" + os.path.join(directory, mcu_queue.SOCKET_NAME)
    monkeypatch.setitem(app.config, "REDIS_URL", url)  # nothing listens there yet: Redis is down
    auth.as_role(make, "operator")
    board = client.get("/board")
    assert board.status_code == 200 and "очередь недоступна" in client.get("/sources/badge").get_data(as_text=True)

    env = subprocess_env(app, url, MCU_SCHEDULER_TICK_SECONDS="1")
    procs = [subprocess.Popen([FLASK, "jobs", name], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for name in ("worker", "cron")]
    redis_proc = None
    try:
        redis_proc, _url = mcu_queue.start_embedded(directory)  # Redis comes back; nobody restarts anything
        wait_for(lambda: count(app, "После сбоя") == 3, timeout=60, step=0.5)
        mcu_queue._status_cache.clear()  # the page's memory of the outage is only kept for a few seconds
        board = client.get("/board")
        assert board.status_code == 200
        assert "очередь недоступна" not in client.get("/sources/badge").get_data(as_text=True)
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait()


def test_poll_now_from_the_command_line_waits_its_turn_behind_a_running_poll(app, redis_conn, feed):
    feed.routes["/cli"] = (200, document(contract_items("cli", 3)))
    add_source(app, "Из консоли", feed.url("/cli"))
    with app.app_context():
        source = db.session.scalar(db.select(FeedSource.id).filter_by(name="Из консоли"))
    redis_conn.set(polling.LOCK_KEY.format(source), "a-worker-job", ex=60)
    busy = app.test_cli_runner().invoke(args=["feeds", "poll-now", "Из консоли"])
    assert busy.exit_code != 0 and "сейчас опрашивает обработчик очереди" in busy.output
    assert feed.hits.get("/cli") is None and count(app, "Из консоли") == 0
    redis_conn.delete(polling.LOCK_KEY.format(source))
    done = app.test_cli_runner().invoke(args=["feeds", "poll-now", "Из консоли"])
    assert done.exit_code == 0, done.output
    assert count(app, "Из консоли") == 3 and redis_conn.get(polling.LOCK_KEY.format(source)) is None
