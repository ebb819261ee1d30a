"""Which feed sources are due for a poll, and enqueuing exactly one poll job per source at a time."""
import uuid
from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from .. import queue as mcu_queue
from ..extensions import db
from ..models import FeedSource, utcnow

# the polling marker: the id of the source's current poll job (queued, running or waiting for a retry)
MARKER_KEY = "mcu:poll:{}:job"
CLAIM_KEY = "mcu:poll:{}:claim"
ACTIVE = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def current_job(connection, source_id: int) -> Job | None:
    """The source's poll job while it is queued, running or waiting for its retry; else None."""
    job_id = connection.get(MARKER_KEY.format(source_id))
    if job_id is None:
        return None
    try:
        job = Job.fetch(job_id.decode(), connection=connection)
    except NoSuchJobError:
        return None
    return job if job.get_status() in ACTIVE else None


def enqueue_poll(connection, source_id: int) -> str | None:
    """Enqueue a poll of the source unless one is already pending; returns the new job's id."""
    from ..jobs import POLL_RETRY, POLL_TIMEOUT, poll_source
    if current_job(connection, source_id) is not None:
        return None
    if not connection.set(CLAIM_KEY.format(source_id), "1", nx=True, ex=5):
        return None  # another scheduler is enqueuing this very source now
    job = mcu_queue.queue(current_app, connection).enqueue(
        poll_source, source_id, job_id=f"poll-{source_id}-{uuid.uuid4().hex[:12]}", retry=POLL_RETRY,
        job_timeout=POLL_TIMEOUT, result_ttl=3600, failure_ttl=7 * 86400,
        description=f"poll feed source {source_id}")
    connection.set(MARKER_KEY.format(source_id), job.id, ex=8 * 86400)
    connection.delete(CLAIM_KEY.format(source_id))
    return job.id


def due_sources(now=None) -> list[int]:
    """Enabled sources whose interval has passed since their last poll began (or never polled)."""
    now = now or utcnow()
    rows = db.session.execute(db.select(FeedSource.id, FeedSource.interval_seconds, FeedSource.last_poll_at)
                              .where(FeedSource.enabled.is_(True)).order_by(FeedSource.id)).all()
    return [sid for sid, interval, last in rows
            if last is None or now - last >= timedelta(seconds=max(int(interval or 60), 5))]


def enqueue_due(connection=None) -> list[str]:
    """One scheduler tick: requeue polls whose worker died, then enqueue every due source."""
    connection = connection or mcu_queue.connect(current_app)
    # RQ's own abandoned-job handling: a poll whose worker vanished is retried (or failed) here, not in 10 min
    StartedJobRegistry(mcu_queue.QUEUE_NAME, connection=connection).cleanup()
    ids = []
    for source_id in due_sources():
        job_id = enqueue_poll(connection, source_id)
        if job_id:
            ids.append(job_id)
    db.session.rollback()  # end the read transaction: the scheduler must not hold SQLite snapshots
    return ids
