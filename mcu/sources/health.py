"""Feed sources' health in words: per source for the admin page, and summed up for the board's badge."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from .. import queue as mcu_queue
from ..extensions import db
from ..models import FeedSource, utcnow

OK, NEVER, FAILING, LAGGING, DISABLED = "ok", "never", "failing", "lagging", "disabled"


@dataclass
class SourceHealth:
    """One source's state: a level, its words, and how far behind it is."""

    level: str
    words: str
    lag: timedelta | None


def lag_limit(interval_seconds: int) -> timedelta:
    """How long without a successful poll before a source counts as lagging: three intervals, at least 3 min."""
    return timedelta(seconds=max(3 * int(interval_seconds or 60), 180))


def of(source: FeedSource, now: datetime | None = None) -> SourceHealth:
    """The health of one source, from the fields its polls keep up to date."""
    now = now or utcnow()
    lag = now - source.last_success_at if source.last_success_at else None
    if not source.enabled:
        return SourceHealth(DISABLED, _("выключен"), lag)
    if source.consecutive_failures:
        return SourceHealth(FAILING, _("ошибка (подряд: %(n)d): %(error)s", n=source.consecutive_failures,
                                       error=source.last_error or _("без описания")), lag)
    if source.last_success_at is None:
        age = now - (source.created_at or now)
        if age > lag_limit(source.interval_seconds):
            return SourceHealth(LAGGING, _("ни одного успешного опроса: очередь не обрабатывается?"), None)
        return SourceHealth(NEVER, _("ещё не опрашивался"), None)
    if lag > lag_limit(source.interval_seconds):
        return SourceHealth(LAGGING, _("нет успешных опросов дольше, чем положено по интервалу"), lag)
    return SourceHealth(OK, _("работает"), lag)


@dataclass
class Badge:
    """What the board's header says about feeds: problem sources and whether the queue answers."""

    sources: int
    problems: list
    queue: mcu_queue.QueueStatus

    @property
    def visible(self) -> bool:
        return bool(self.problems) or not self.queue.working

    @property
    def failing(self) -> list:
        return [(name, h) for name, h in self.problems if h.level == FAILING]

    @property
    def lagging(self) -> list:
        return [(name, h) for name, h in self.problems if h.level == LAGGING]


def badge() -> Badge:
    """The board badge: one indexed query over enabled sources, and the queue's state (bounded in time, and
    asked of Redis at most every QUEUE_STATUS_SECONDS per process)."""
    sources = db.session.scalars(db.select(FeedSource).where(FeedSource.enabled.is_(True))).all()
    if not sources:  # nothing to poll: the queue's state does not concern the board
        return Badge(0, [], mcu_queue.QueueStatus(True, 1))
    now = utcnow()
    problems = [(s.name, h) for s in sources if (h := of(s, now)).level in (FAILING, LAGGING)]
    return Badge(len(sources), problems, mcu_queue.status(current_app))
