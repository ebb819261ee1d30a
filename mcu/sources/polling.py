"""Polling one feed source: fetch a batch, store it in one transaction, keep the source's cursor and health."""
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from rq.timeouts import JobTimeoutException

from ..extensions import REFUSED_WRITES, WRITE_ATTEMPTS, db, stale_snapshot
from ..feeds import poll
from ..feeds.http import FeedSession
from ..feeds.ingest import upsert_incidents
from ..feeds.records import FeedError
from ..models import FeedSource, utcnow

log = logging.getLogger(__name__)

# the channel an incident gets when its record names none (a kind not listed: Инцидент-менеджмент)
DEFAULT_CHANNEL = {"open311": "open311"}


@dataclass
class PollOutcome:
    """What one poll did, for the job's result and the CLI."""

    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    row_errors: int = 0
    skipped: str = ""

    def add(self, result, row_errors: int) -> None:
        """Count one stored page."""
        self.created += result.created
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.row_errors += row_errors

    def summary(self) -> str:
        if self.skipped:
            return f"{self.source}: skipped ({self.skipped})"
        return (f"{self.source}: created {self.created}, updated {self.updated}, "
                f"unchanged {self.unchanged}, bad rows {self.row_errors}")


LOCK_KEY = "mcu:poll:{}:lock"


def take_poll_lock(connection, source_id: int, owner: str, seconds: int) -> bool:
    """Take the source's poll lock; a retry of a job whose worker died takes its own stale lock over."""
    key = LOCK_KEY.format(source_id)
    if connection.set(key, owner, nx=True, ex=seconds):
        return True
    holder = connection.get(key)
    if holder is not None and holder.decode() == owner:
        connection.set(key, owner, ex=seconds)
        return True
    return False


def release_poll_lock(connection, source_id: int, owner: str) -> None:
    """Release the lock only when it is still ours."""
    key = LOCK_KEY.format(source_id)
    holder = connection.get(key)
    if holder is not None and holder.decode() == owner:
        connection.delete(key)


def http_session(deadline_seconds: float, timeout: tuple[float, float] | None = None) -> FeedSession:
    """A fresh HTTP session per poll (no connection state survives between jobs), with the poll's limits."""
    cfg = current_app.config
    return FeedSession(cfg["FEED_USER_AGENT"],
                       timeout or (cfg["FEED_CONNECT_TIMEOUT_SECONDS"], cfg["FEED_READ_TIMEOUT_SECONDS"]),
                       deadline_seconds)


def _store(batch, source_id: int, name: str, default_channel: str):
    """Store one page and its cursor in one commit. On SQLite a page whose transaction read before another writer
    (a move on the board) committed is refused at once, not after the busy wait: it is stored again, from the page
    already fetched (measured: with 20 heads at work, one poll in six failed so and the item waited for the next
    interval)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            result = upsert_incidents(batch.records, name, feed_source_id=source_id, default_channel=default_channel,
                                      commit=False)
            _record_success(source_id, batch, result)
            return result
        except REFUSED_WRITES as exc:  # the bulk insert runs on the raw connection: sqlite3's own error
            db.session.rollback()
            if not stale_snapshot(exc) or attempt == WRITE_ATTEMPTS - 1:
                raise
    return None  # not reached: the last attempt returns or raises


def poll_once(source_id: int) -> PollOutcome:
    """Poll the source once, within FEED_POLL_DEADLINE_SECONDS for all its pages; on any failure record it on
    the source's health in words and re-raise."""
    source = db.session.get(FeedSource, source_id)
    if source is None:
        return PollOutcome(source=f"#{source_id}", skipped="source deleted")
    if not source.enabled:
        return PollOutcome(source=source.name, skipped="source disabled")
    name = source.name
    outcome = PollOutcome(source=name)
    pages = current_app.config["FEED_MAX_PAGES_PER_POLL"]
    try:
        with http_session(current_app.config["FEED_POLL_DEADLINE_SECONDS"]) as http:
            for _page in range(pages):
                source = db.session.get(FeedSource, source_id)
                batch = poll(source, http)
                result = _store(batch, source_id, name, DEFAULT_CHANNEL.get(source.kind, "im"))
                outcome.add(result, len(_row_errors(batch, result)))
                if not batch.has_more or not batch.next_cursor:
                    break
    except FeedError as exc:
        db.session.rollback()
        record_failure(source_id, str(exc))
        raise
    except JobTimeoutException:
        db.session.rollback()
        record_failure(source_id, _("Опрос не уложился в отведённое время и был прерван"))
        raise
    except Exception:
        db.session.rollback()
        log.exception("poll of feed source %s failed", name)
        record_failure(source_id, _("Внутренняя ошибка при обработке ленты; подробности в журнале."))
        raise
    return outcome


def _row_errors(batch, result) -> list:
    """Rows the adapter or the ingestion could not take, whichever reported them."""
    return list(batch.errors or []) + list(getattr(result, "errors", None) or [])


def _record_success(source_id: int, batch, result) -> None:
    """Advance the cursor and mark the source healthy in the same transaction as the upsert."""
    source = db.session.get(FeedSource, source_id)
    now = utcnow()
    if batch.next_cursor:
        source.cursor = str(batch.next_cursor)[:500]
    source.last_success_at = now
    source.consecutive_failures = 0
    errors = _row_errors(batch, result)
    if errors:
        source.last_error = _("Опрос прошёл, но записей с ошибками: %(n)d. Первая: %(first)s",
                              n=len(errors), first=_row_words(errors[0]))
        source.last_error_at = now
    else:
        source.last_error = ""
    if result.created or result.updated:
        source.last_item_at = now
    db.session.commit()


def _row_words(error) -> str:
    """A row error as one line for the health panel."""
    row, message = getattr(error, "row", ""), getattr(error, "message", str(error))
    return (_("запись %(row)s: %(message)s", row=row, message=message) if row else str(message))[:300]


def record_failure(source_id: int, message: str) -> None:
    """Count a failed poll and keep its message, in a transaction of its own."""
    db.session.execute(db.update(FeedSource).where(FeedSource.id == source_id).values(
        last_error=message[:2000], last_error_at=utcnow(),
        consecutive_failures=FeedSource.consecutive_failures + 1))
    db.session.commit()
