"""`flask jobs redis|worker|cron`: the queue's processes of `make run`, each run by `python -m mcu.supervise`.

Each one waits for Redis, runs, and ends when Redis is lost: its supervisor starts it again (with backoff),
so no process carries state across an outage of Redis.
"""
import logging
import re

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from . import queue as mcu_queue

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Queue processes: the embedded Redis, an RQ worker, the RQ cron scheduler.")
JOB_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class QuietTicks(logging.Filter):
    """Keep RQ's log readable: no INFO lines about the scheduler's tick (once a second, four lines each), and
    a lost Redis said in one line, not a traceback (the supervisor says what it does next)."""

    def __init__(self):
        super().__init__()
        self.ticks: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], (mcu_queue.QueueLost, RedisError)):
            record.msg, record.args = "%s (Redis lost: %s)", (record.getMessage(), record.exc_info[1])
            record.exc_info = record.exc_text = None
        if record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        ids = set(JOB_ID.findall(message))
        if "schedule_polls" in message:
            self.ticks |= ids
            return False
        if ids & self.ticks:
            if "result is kept" in message or "result discarded" in message:
                self.ticks -= ids
            return False
        return True


@jobs_cli.command("redis")
def redis_server():
    """Run the embedded Redis on instance/redis.sock (or wait, when MCU_REDIS_URL is set)."""
    if current_app.config["REDIS_URL"]:
        mcu_queue.wait_external(current_app.config["REDIS_URL"])
    mcu_queue.serve_embedded(current_app.instance_path)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queue is empty.")
def worker(burst):
    """One RQ worker (with RQ's scheduler for retries), signalling every WORKER_HEARTBEAT_SECONDS."""
    # the command runs in the CLI's app, built once in this parent: each job's fork starts warm with it
    rq_worker = mcu_queue.worker(current_app, mcu_queue.wait_for_redis(current_app))
    logging.getLogger("rq.worker").addFilter(QuietTicks())
    try:
        rq_worker.work(burst=burst, with_scheduler=True)
    except (RedisError, OSError, mcu_queue.QueueLost) as exc:
        raise click.ClickException(f"the worker lost Redis ({exc}); its supervisor starts a new one") from None


@jobs_cli.command("cron")
def cron():
    """The RQ cron scheduler with mcu/cron.py; returns on SIGTERM/SIGINT, fails when Redis is lost."""
    scheduler = CronScheduler(connection=mcu_queue.wait_for_redis(current_app))
    logging.getLogger("rq.cron").addFilter(QuietTicks())
    scheduler.load_config_from_file("mcu.cron")
    try:
        scheduler.start()
    except (RedisError, OSError) as exc:
        raise click.ClickException(f"the cron scheduler lost Redis ({exc}); its supervisor starts a new one") from None
