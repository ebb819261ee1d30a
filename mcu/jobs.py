"""Background jobs run by `rq worker`: each takes ids, runs in the app, and raises on failure so RQ retries."""
import uuid

from flask import current_app, has_app_context
from rq import Queue, Retry, get_current_job

from . import create_app, deadlines
from .escalation import sweep as sweep_once
from .imports.service import run_step
from .models import utcnow
from .notifications.sending import deliver
from .notifications.telegram import link_updates
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


# deadlines (issue 13): the deadline sweep (urgency, the escalation ladder, notifications) and the sending jobs
SEND_TIMEOUT = 120  # seconds; one SMTP session or Bot API call is bounded by NOTIFY_TIMEOUT_SECONDS


def sweep_deadlines() -> str:
    """Re-assess urgency, climb the escalation ladder, make notifications and enqueue the ones that are due."""
    config = app().config
    with app().app_context():
        groups = sweep_once(utcnow(), config, city_tz())
    job = get_current_job()
    if groups and job is not None:
        retry = Retry(max=len(config["NOTIFY_RETRY_SECONDS"]), interval=list(config["NOTIFY_RETRY_SECONDS"]))
        queue = Queue(job.origin, connection=job.connection)
        for ids in groups:
            queue.enqueue("mcu.jobs.send_notifications", ids, retry=retry, job_timeout=SEND_TIMEOUT,
                          description=f"notifications {ids}")
    return f"{len(groups)} notification jobs enqueued"


def send_notifications(ids: list[int]) -> str:
    """Send one notification (or one person's digest by one channel); raises on failure so RQ retries."""
    with app().app_context():
        return deliver(ids, utcnow(), app().config, city_tz())


def link_telegram_chats() -> str:
    """Read the bot's updates and link the chats that sent a code from the «Профиль» page."""
    with app().app_context():
        return f"{link_updates(utcnow(), app().config)} chats linked"
