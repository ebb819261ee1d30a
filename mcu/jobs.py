"""Background jobs run by `rq worker`: each takes ids, builds its own app, and raises on failure so RQ retries."""
import uuid

from rq import Retry, get_current_job

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


def import_file(token: str, step: str) -> str:
    """Parse ("parse") or store ("store") one uploaded import file, with progress and «Отменить» (mcu/imports)."""
    # imported on call like the jobs above: `rq cron` loads this module and needs nothing of the import area
    from .imports.service import run_step
    with app().app_context():
        return run_step(token, step)
