"""What one wall screen shows, read in a bounded number of statements: the tiles (a lane each, or one lane's own
screen), the city's counters of the day, the last 15 minutes, feed health, and the moment time alone changes it.
Text on the wall passes through ``masking.mask`` and never names a citizen."""
import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from flask_babel import gettext as _

from ..extensions import db
from ..lanes import UNROUTED_KEY, lane_key
from ..models import as_utc
from ..sources import health
from ..text import excerpt
from ..workflow import OPEN_STATUSES
from . import layout, queries
from .masking import mask

CITY = "city"
# a status's letter in a tile's counts line, explained by the legend
STATUS_LETTERS = {"new": "Н", "in_progress": "Р", "interim": "П", "returned": "Д", "answered": "О"}


def short_span(seconds: float) -> str:
    """A span as a card has room for: «5 мин», «3 ч», «2 д» (static/js/wall.js writes the same)."""
    seconds = max(0, int(seconds))
    if seconds < 3600:
        return _("%(n)d мин", n=seconds // 60)
    if seconds < 86400:
        return _("%(n)d ч", n=seconds // 3600)
    return _("%(n)d д", n=seconds // 86400)


def due_words(due: datetime | None, now: datetime) -> str:
    """«⚠ −2 ч» past the deadline (an icon and a sign besides the colour), «ещё 3 ч» before it."""
    if due is None:
        return ""
    left = (due - now).total_seconds()
    return f"⚠ −{short_span(-left)}" if left <= 0 else _("ещё %(span)s", span=short_span(left))


@dataclass
class Card:
    id: int
    topic: str
    text: str
    received_at: datetime
    due: datetime | None
    late: bool
    urgent: bool
    escalated: bool = False


def _shorten(value: str, limit: int) -> str:
    return excerpt(value, limit) if len(value) > limit else value


def _cards(rows, lookups, now: datetime, shape: layout.Layout) -> list[Card]:
    out = []
    for row in rows:
        topic = lookups.topics.get(row.topic_id)
        topic_name = topic.name if topic else _("Без темы")
        text = mask(" ".join((row.text or "").split()))
        if shape.split:  # a narrow card: the topic on a line of its own, the text on the next
            topic_name, text = _shorten(topic_name, int(shape.line_chars * 0.75)), _shorten(text, shape.line_chars - 1)
        else:  # the topic and the text share the card's text lines: a little less than their characters, since
            # lines break between words
            budget = int(shape.line_chars * (0.8 if shape.text_lines == 1 else 1.6))
            topic_name = _shorten(topic_name, max(6, budget // 2))
            text = _shorten(text, max(4, budget - len(topic_name) - 2))
        due = as_utc(row.due)
        out.append(Card(row.id, topic_name, text, as_utc(row.received_at), due, due is not None and due <= now,
                        bool(row.urgent), bool(row.escalated)))
    return out


def lanes_of(department_id: int | None, view: str, lookups) -> tuple[list, str]:
    """(the lanes drawn, the view's key): a department's token shows its lane alone; the city's token the city,
    or one lane when the rotation asks for it."""
    if department_id is not None:
        return [department_id], lane_key(department_id)
    if view == UNROUTED_KEY:
        return [None], view
    if view.isascii() and view.isdigit() and int(view) in lookups.departments:
        return [int(view)], view
    return [None, *lookups.departments], CITY


def views_of(department_id: int | None, lookups) -> list[str]:
    """The views a wall rotates through: the city, then each department in board order (a department's wall: its
    own only, no rotation)."""
    if department_id is not None:
        return [lane_key(department_id)]
    return [CITY, *[lane_key(d) for d in lookups.departments], UNROUTED_KEY]


def build(lanes: list, lookups, now: datetime, tz) -> dict:
    """The template context of the wall's live region."""
    connection = db.session.connection()
    scope = None if len(lanes) > 1 else lanes
    figures = queries.tile_counts(connection, scope, now)
    counts = {d: [(STATUS_LETTERS[s], tile.counts[s], s) for s in OPEN_STATUSES if tile.counts.get(s)]
              for d, tile in figures.items()}  # a status without cards is left out (the legend names them all)
    widest = max((sum(len(letter) + len(str(n)) + 2 for letter, n, _s in line) for line in counts.values()),
                 default=0)
    shape = layout.for_tiles(len(lanes), widest)
    queries.urgent_cards(connection, scope, now, shape.cards, figures)
    tiles = []
    for department_id in lanes:
        tile = figures.get(department_id) or queries.Tile()
        record = lookups.departments.get(department_id)
        tiles.append({
            "key": lane_key(department_id),
            "name": _shorten(record.short_name if record else _("Не распределено"),
                             shape.line_chars - 5 - len(str(tile.overdue))),
            "counts": counts.get(department_id, []),
            "open": tile.open, "overdue": tile.overdue,
            "cards": _cards(tile.cards, lookups, now, shape),
            "more": max(0, sum(tile.counts.get(s, 0) for s in queries.WAITING) - len(tile.cards)),
        })
    day = queries.counters(connection, scope, now, tz)
    count, newest, oldest = queries.arrivals(connection, scope, now)
    strip, used = [], 0
    for row in newest:  # as many of the newest as the strip's line holds
        record, topic = lookups.departments.get(row.department_id), lookups.topics.get(row.topic_id)
        item = (as_utc(row.received_at), record.short_name if record else _("Не распределено"),
                topic.name if topic else _("Без темы"))
        used += len(item[1]) + len(item[2]) + 12
        if used > layout.TILES_W / layout.CHAR_W - 24:
            break
        strip.append(item)
    crossing = queries.next_deadline(connection, scope, now)
    midnight = datetime.combine(now.astimezone(tz).date() + timedelta(days=1), dtime(0), tz).astimezone(UTC)
    moments = [midnight, as_utc(crossing)] + ([as_utc(oldest) + timedelta(minutes=queries.STRIP_MINUTES)]
                                              if oldest else [])
    return {
        "tiles": tiles, "shape": shape, "whole": len(lanes) > 1,
        "received": day.received, "answered": day.answered, "median_minutes": day.median_minutes,
        "open": sum(t["open"] for t in tiles), "overdue": sum(t["overdue"] for t in tiles),
        "arrived": count, "strip": strip, "now": now,
        "next_change": min(m for m in moments if m is not None),
    }


class HealthCache:
    """The feeds' health as the wall says it, and a short key of it, read again when older than ``ttl`` seconds:
    an idle wall's poll compares the key without asking the database or Redis."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._at = float("-inf")
        self._value: tuple[str, list] = ("", [])
        self._lock = threading.Lock()

    def get(self) -> tuple[str, list]:
        if time.monotonic() - self._at > self.ttl:
            with self._lock:
                if time.monotonic() - self._at > self.ttl:
                    self._value = _health()
                    self._at = time.monotonic()
        return self._value


def _health() -> tuple[str, list]:
    """(key, [(level, words)]): the failing and lagging sources by name, and a queue that does not work."""
    badge = health.badge()
    problems = [(h.level, _("%(name)s: ошибка", name=name) if h.level == health.FAILING
                 else _("%(name)s: отстаёт", name=name)) for name, h in badge.problems]
    if not badge.queue.working:
        problems.append((health.FAILING, _("очередь опроса не работает")))
    key = hashlib.sha256(repr((badge.sources, problems)).encode()).hexdigest()[:12]
    return key, problems


def asset_version(static_folder: str) -> str:
    """A short hash of every static file's content, computed once per process: a wall whose page was served with
    another one reloads itself (the server was upgraded with new static files)."""
    digest = hashlib.sha256()
    root = Path(static_folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]

