"""`flask feeds ...`: the sources page's verbs from the command line (the same rules, in mcu/sources/service.py)."""
import uuid

import click
from flask import current_app
from flask.cli import AppGroup
from redis.exceptions import RedisError

from .. import queue as mcu_queue
from ..extensions import db
from ..feeds.records import FeedError
from ..feeds.retext import retext
from ..models import FeedSource
from . import health, polling, service

feeds_cli = AppGroup("feeds", help="Feed sources: list, add, enable, disable, poll now.")


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
@click.option("--interval", default=60, show_default=True, type=int)
@click.option("--token", default="", help="Sent as a Bearer token.")
@click.option("--disabled", is_flag=True)
def add(name, url, kind, interval, token, disabled):
    """Add a source (polled from the scheduler's next tick)."""
    try:
        service.add(name, kind, url, interval, token, not disabled)
    except service.SourceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {name}")


@feeds_cli.command("enable")
@click.argument("name")
def enable(name):
    """Poll the source again."""
    service.enable(_source(name))
    click.echo(f"enabled {name}")


@feeds_cli.command("disable")
@click.argument("name")
def disable(name):
    """Stop polling the source."""
    service.disable(_source(name))
    click.echo(f"disabled {name}")


@feeds_cli.command("poll-now")
@click.argument("name")
@click.option("--enqueue", is_flag=True, help="Put the poll on the queue instead of running it here.")
def poll_now(name, enqueue):
    """Poll a source now, in this process (or on the queue with --enqueue); exits non-zero on failure."""
    source = _source(name)
    job_timeout = current_app.config["POLL_JOB_TIMEOUT_SECONDS"]
    if enqueue:
        job_id = service.poll_soon(mcu_queue.connect(current_app, 5), source, job_timeout)
        click.echo(f"enqueued {job_id}" if job_id else "a poll of this source is already queued or running")
        return
    owner = f"cli-{uuid.uuid4().hex}"
    try:  # the workers' lock, so this poll never runs beside a queued one; no Redis, no workers to meet
        connection = mcu_queue.connect(current_app, 2)
        locked = polling.take_poll_lock(connection, source.id, owner, job_timeout + 60)
    except (RedisError, OSError):
        connection, locked = None, True
    if not locked:
        raise click.ClickException("Этот источник сейчас опрашивает обработчик очереди; повторите позже.")
    try:
        click.echo(polling.poll_once(source.id).summary())
    except FeedError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        if connection is not None:
            try:
                polling.release_poll_lock(connection, source.id, owner)
            except (RedisError, OSError):
                pass  # the lock expires by itself


@feeds_cli.command("retext")
@click.option("--batch", default=1000, show_default=True, type=click.IntRange(1, 100000),
              help="Incidents per transaction.")
def retext_command(batch):
    """Make plain text of HTML in the texts of incidents stored from feeds and files (what ingestion now does)."""
    seen, changed = retext(batch)
    click.echo(f"Просмотрено сообщений: {seen}, переведено в обычный текст: {changed}")
