"""Background jobs run by `rq worker`: each takes ids, builds its own app, and raises on failure so RQ retries."""
import uuid

from rq import Retry, get_current_job

from .deadlines import recompute_open
from .timefmt import city_tz

# a failed poll is tried again after 15 s, 1 min and 4 min; then the next scheduled poll takes over
POLL_RETRY = Retry(max=3, interval=[15, 60, 240])
POLL_TIMEOUT = 300  # seconds a poll may run before RQ kills it
LOCK_KEY = "mcu:poll:{}:lock"

_app = None


def app():
    """The app the jobs of this process run in, created on first use (never at import time)."""
    global _app
    if _app is None:
        from . import create_app
        _app = create_app()
    return _app


def poll_source(source_id: int) -> str:
    """Poll one feed source and ingest what it brought; skip when another poll of it is still running."""
    job = get_current_job()
    connection = job.connection if job else None
    owner = job.id if job else f"direct-{uuid.uuid4().hex}"
    if connection is not None and not take_poll_lock(connection, source_id, owner):
        return f"feed source {source_id}: skipped, another poll is running"
    try:
        with app().app_context():
            from .sources.polling import poll_once
            return poll_once(source_id).summary()
    finally:
        if connection is not None:
            release_poll_lock(connection, source_id, owner)


def schedule_polls() -> int:
    """Enqueue a poll for every enabled source that is due (the one cron entry); returns how many."""
    job = get_current_job()
    with app().app_context():
        from .sources.scheduling import enqueue_due
        return len(enqueue_due(job.connection if job else None))


def take_poll_lock(connection, source_id: int, owner: str) -> bool:
    """Take the source's poll lock; a retry of a job whose worker died takes its own stale lock over."""
    key = LOCK_KEY.format(source_id)
    if connection.set(key, owner, nx=True, ex=POLL_TIMEOUT + 60):
        return True
    holder = connection.get(key)
    if holder is not None and holder.decode() == owner:
        connection.set(key, owner, ex=POLL_TIMEOUT + 60)
        return True
    return False


def release_poll_lock(connection, source_id: int, owner: str) -> None:
    """Release the lock only when it is still ours."""
    key = LOCK_KEY.format(source_id)
    holder = connection.get(key)
    if holder is not None and holder.decode() == owner:
        connection.delete(key)


# `flask deadlines recompute --enqueue`: a failed run keeps the batches it committed, and running it again
# finishes the rest (a deadline already in line is not written twice)
RECOMPUTE_RETRY = Retry(max=2, interval=[60, 600])
RECOMPUTE_TIMEOUT = 1800  # seconds; a city's open cards take well under one


def recompute_deadlines() -> int:
    """Recompute open cards' deadlines by the calendar and settings this worker runs with; returns how many moved."""
    with app().app_context():
        return recompute_open(app().config, city_tz())


# deadlines (issue 13): the deadline sweep (urgency, the escalation ladder, notifications) and the sending jobs
from rq import Queue

from .escalation import sweep as sweep_once
from .models import utcnow
from .notifications.sending import deliver
from .notifications.telegram import link_updates

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
