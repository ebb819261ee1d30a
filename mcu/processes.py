"""`flask jobs redis|worker|cron`: the queue's processes of `make run`, each run by `python -m mcu.supervise`.

Each one waits for Redis, runs, and ends when Redis is lost: its supervisor starts it again (with backoff),
so no process carries state across an outage of Redis.
"""
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError
from rq.cron import CronScheduler

from . import jobs
from . import queue as mcu_queue

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Queue processes: the embedded Redis, an RQ worker, the RQ cron scheduler.")


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
    jobs.app()  # import everything once in the parent: each job's fork starts warm
    rq_worker = mcu_queue.worker(current_app, mcu_queue.wait_for_redis(current_app))
    try:
        rq_worker.work(burst=burst, with_scheduler=True)
    except (RedisError, OSError, mcu_queue.QueueLost) as exc:
        raise click.ClickException(f"the worker lost Redis ({exc}); its supervisor starts a new one") from None


@jobs_cli.command("cron")
def cron():
    """The RQ cron scheduler with mcu/cron.py; returns on SIGTERM/SIGINT, fails when Redis is lost."""
    scheduler = CronScheduler(connection=mcu_queue.wait_for_redis(current_app))
    scheduler.load_config_from_file("mcu.cron")
    try:
        scheduler.start()
    except (RedisError, OSError) as exc:
        raise click.ClickException(f"the cron scheduler lost Redis ({exc}); its supervisor starts a new one") from None
