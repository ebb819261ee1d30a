"""Background jobs run by `rq worker`: each takes ids, runs in the app, and raises on failure so RQ retries."""
import uuid

from flask import current_app, has_app_context
from rq import get_current_job

from . import create_app, deadlines
from .imports.service import run_step
from .sources import polling, scheduling
from .timefmt import city_tz

_app = None


def app():
    """The app the jobs of this process run in: the one `flask jobs worker` built (a fork inherits it), or one
    created on first use by a plain `rq worker` (never at import time)."""
    global _app
    if _app is None:
        _app = current_app._get_current_object() if has_app_context() else create_app()
    return _app


def poll_source(source_id: int) -> str:
    """Poll one feed source and ingest what it brought; skip when another poll of it is still running."""
    job = get_current_job()
    connection = job.connection if job else None
    owner = job.id if job else f"direct-{uuid.uuid4().hex}"
    with app().app_context():
        lock_seconds = current_app.config["POLL_JOB_TIMEOUT_SECONDS"] + 60
        if connection is not None and not polling.take_poll_lock(connection, source_id, owner, lock_seconds):
            return f"feed source {source_id}: skipped, another poll is running"
        try:
            return polling.poll_once(source_id).summary()
        finally:
            if connection is not None:
                polling.release_poll_lock(connection, source_id, owner)


def schedule_polls() -> int:
    """Enqueue a poll for every enabled source that is due (the one cron entry); returns how many."""
    with app().app_context():
        return len(scheduling.enqueue_due(get_current_job().connection,
                                          current_app.config["POLL_JOB_TIMEOUT_SECONDS"]))


def recompute_deadlines() -> int:
    """Recompute open cards' deadlines by the calendar and settings this worker runs with; returns how many moved."""
    with app().app_context():
        return deadlines.recompute_open(current_app.config, city_tz())


def import_file(token: str, step: str) -> str:
    """Parse ("parse") or store ("store") one uploaded import file, with progress and «Отменить» (mcu/imports)."""
    with app().app_context():
        return run_step(token, step)
