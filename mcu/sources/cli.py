"""`flask feeds ...` to manage sources, and `flask jobs redis|worker|cron`: the processes of `make run`."""
import logging
import time
import uuid

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError

from .. import queue as mcu_queue
from ..extensions import db
from ..feeds.retext import retext
from ..models import FeedSource
from . import health

log = logging.getLogger(__name__)
feeds_cli = AppGroup("feeds", help="Feed sources: list, add, enable, disable, poll now.")
jobs_cli = AppGroup("jobs", help="Background processes: the embedded Redis, an RQ worker, the RQ cron scheduler.")
RECONNECT_SECONDS = 3


def _source(name: str) -> FeedSource:
    source = db.session.scalar(db.select(FeedSource).where(FeedSource.name == name))
    if source is None:
        raise click.ClickException(f"no feed source named {name!r} (see `flask feeds list`)")
    return source


@feeds_cli.command("list")
def list_sources():
    """Every source with its health."""
    for s in db.session.scalars(db.select(FeedSource).order_by(FeedSource.name)):
        h = health.of(s)
        success = s.last_success_at.isoformat(timespec="seconds") if s.last_success_at else "-"
        click.echo(f"{s.id:>3} {s.name} [{s.kind}] every {s.interval_seconds}s "
                   f"{'enabled' if s.enabled else 'disabled'}; last success {success}; "
                   f"failures in a row {s.consecutive_failures}; {h.level}: {h.words}")


@feeds_cli.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kind", default="cur_json", show_default=True)
@click.option("--interval", default=60, show_default=True, type=click.IntRange(5, 86400))
@click.option("--token", default="", help="Sent as a Bearer token.")
@click.option("--disabled", is_flag=True)
def add(name, url, kind, interval, token, disabled):
    """Add a source (polled from the scheduler's next tick)."""
    from ..feeds import ADAPTERS
    if kind not in ADAPTERS:
        raise click.ClickException(f"unknown kind {kind!r}: one of {', '.join(ADAPTERS)}")
    if not url.lower().startswith(("http://", "https://")):
        raise click.ClickException("url must start with http:// or https://")
    from .views import name_taken
    if name_taken(name, None):
        raise click.ClickException(f"the name {name!r} is taken (a feed source, manual entry or imports)")
    db.session.add(FeedSource(name=name, url=url, kind=kind, interval_seconds=interval, credentials=token,
                              enabled=not disabled, cursor=""))
    db.session.commit()
    click.echo(f"added {name}")


@feeds_cli.command("enable")
@click.argument("name")
def enable(name):
    """Poll the source again."""
    source = _source(name)
    source.enabled, source.consecutive_failures = True, 0
    db.session.commit()
    click.echo(f"enabled {name}")


@feeds_cli.command("disable")
@click.argument("name")
def disable(name):
    """Stop polling the source."""
    _source(name).enabled = False
    db.session.commit()
    click.echo(f"disabled {name}")


@feeds_cli.command("poll-now")
@click.argument("name")
@click.option("--enqueue", is_flag=True, help="Put the poll on the queue instead of running it here.")
def poll_now(name, enqueue):
    """Poll a source now, in this process (or on the queue with --enqueue); exits non-zero on failure."""
    source = _source(name)
    if enqueue:
        from .scheduling import enqueue_poll
        job_id = enqueue_poll(mcu_queue.connect(current_app, 5), source.id)
        click.echo(f"enqueued {job_id}" if job_id else "a poll of this source is already queued or running")
        return
    from ..feeds.records import FeedError
    from ..jobs import release_poll_lock, take_poll_lock
    from .polling import poll_once
    owner = f"cli-{uuid.uuid4().hex}"
    try:  # the workers' lock, so this poll never runs beside a queued one; no Redis, no workers to meet
        connection = mcu_queue.connect(current_app, 2)
        locked = take_poll_lock(connection, source.id, owner)
    except (RedisError, OSError):
        connection, locked = None, True
    if not locked:
        raise click.ClickException("Этот источник сейчас опрашивает обработчик очереди; повторите позже.")
    try:
        click.echo(poll_once(source.id).summary())
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if connection is not None:
            try:
                release_poll_lock(connection, source.id, owner)
            except (RedisError, OSError):
                pass  # the lock expires by itself


@jobs_cli.command("redis")
def redis_server():
    """Run the embedded Redis on instance/redis.sock (or wait, when MCU_REDIS_URL is set)."""
    if current_app.config.get("REDIS_URL"):
        mcu_queue.wait_external(current_app.config["REDIS_URL"])
    mcu_queue.serve_embedded(current_app.instance_path)


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Quit when the queue is empty.")
def worker(burst):
    """An RQ worker (with RQ's scheduler for retries) that reconnects whenever Redis comes back."""
    from rq import Worker

    from .. import jobs
    jobs.app()  # import everything once in the parent: each job's fork starts warm
    while True:
        try:
            connection = mcu_queue.connect(current_app)
            connection.ping()
            rq_worker = Worker([mcu_queue.QUEUE_NAME], connection=connection)
            rq_worker.work(burst=burst, with_scheduler=True)
            if burst or rq_worker._stop_requested:
                return
        except (RedisError, OSError) as exc:
            log.warning("Redis unavailable (%s): the worker retries in %d s", exc, RECONNECT_SECONDS)
        time.sleep(RECONNECT_SECONDS)


@jobs_cli.command("cron")
def cron():
    """The RQ cron scheduler with mcu/cron.py, restarted whenever Redis comes back."""
    from rq.cron import CronScheduler
    from rq.exceptions import StopRequested
    while True:
        try:
            connection = mcu_queue.connect(current_app)
            connection.ping()
            scheduler = CronScheduler(connection=connection)
            scheduler.load_config_from_file("mcu.cron")
            scheduler.start()  # returns on SIGINT/SIGTERM
            return
        except (RedisError, OSError) as exc:
            log.warning("Redis unavailable (%s): the cron scheduler retries in %d s", exc, RECONNECT_SECONDS)
        try:
            time.sleep(RECONNECT_SECONDS)
        except StopRequested:
            return


@feeds_cli.command("retext")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Incidents per transaction.")
def retext_command(batch):
    """Make plain text of HTML in the texts of incidents stored from feeds and files (what ingestion now does)."""
    seen, changed = retext(batch)
    click.echo(f"Просмотрено сообщений: {seen}, переведено в обычный текст: {changed}")
