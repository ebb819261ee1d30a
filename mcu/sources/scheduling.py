"""Which feed sources are due for a poll, and enqueuing exactly one poll job per source at a time.

A source's `last_poll_at` is the time its last scheduled poll was DUE (not when it started): the next one is
due one interval later, so a tick that comes a little late, or a poll that waits for a worker, never
lengthens the period. A source more than one interval behind (the queue was down) starts again from now.
"""
import uuid
from datetime import datetime, timedelta

from rq import Queue, Retry
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
POLL_JOB = "mcu.jobs.poll_source"  # by name, as RQ allows: the scheduler need not import the jobs module
# a failed poll is tried again after 15 s, 1 min and 4 min; then the next scheduled poll takes over
POLL_RETRY = Retry(max=3, interval=[15, 60, 240])


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


def enqueue_poll(connection, source_id: int, job_timeout: int) -> str | None:
    """Enqueue a poll of the source unless one is already pending; returns the new job's id."""
    if current_job(connection, source_id) is not None:
        return None
    if not connection.set(CLAIM_KEY.format(source_id), "1", nx=True, ex=5):
        return None  # another scheduler is enqueuing this very source now
    job = Queue(mcu_queue.QUEUE_NAME, connection=connection).enqueue(
        POLL_JOB, source_id, job_id=f"poll-{source_id}-{uuid.uuid4().hex[:12]}", retry=POLL_RETRY,
        job_timeout=job_timeout, result_ttl=3600, failure_ttl=7 * 86400,
        description=f"poll feed source {source_id}")
    connection.set(MARKER_KEY.format(source_id), job.id, ex=8 * 86400)
    connection.delete(CLAIM_KEY.format(source_id))
    return job.id


def due_sources(now: datetime) -> list[tuple[int, datetime]]:
    """Enabled sources whose next poll is due by `now`, each with the time it was due."""
    rows = db.session.execute(db.select(FeedSource.id, FeedSource.interval_seconds, FeedSource.last_poll_at)
                              .where(FeedSource.enabled.is_(True)).order_by(FeedSource.id)).all()
    due = []
    for source_id, interval_seconds, last in rows:
        interval = timedelta(seconds=interval_seconds)
        if last is None or last + interval <= now - interval:
            due.append((source_id, now))  # never polled, or a whole interval missed: start again from now
        elif last + interval <= now:
            due.append((source_id, last + interval))
    return due


def enqueue_due(connection, job_timeout: int) -> list[str]:
    """One scheduler tick: requeue polls whose worker died, then enqueue every due source, stamping its due time."""
    # RQ's own abandoned-job handling: a poll whose worker vanished is retried (or failed) here, not in 10 min
    StartedJobRegistry(mcu_queue.QUEUE_NAME, connection=connection).cleanup()
    ids = []
    for source_id, due_at in due_sources(utcnow()):
        job_id = enqueue_poll(connection, source_id, job_timeout)
        if job_id:
            ids.append(job_id)
            db.session.execute(db.update(FeedSource).where(FeedSource.id == source_id).values(last_poll_at=due_at))
    db.session.commit()  # short: the scheduler must not hold SQLite snapshots or locks
    return ids
