"""A simulated ЦУР feed in the docs/feeds.md contract, served only in demo mode, so `make run` shows a live board.

Message k exists from EPOCH + k * (60 / DEMO_FEED_PER_MINUTE) seconds on, and is generated from k
alone: every poll with the same cursor gets the same items, whichever process serves it.
"""
import random
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, jsonify, request

from ..demo import CHANNEL_MIX, LINKS
from ..demo_texts import AUTHORS, PLATFORMS, STREETS, TEXTS
from ..extensions import db
from ..models import FeedSource
from ..reference import TOPICS
from ..timefmt import city_tz

bp = Blueprint("demo_feed", __name__, url_prefix="/demo-feed")

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
FIRST_POLL_MINUTES = 5  # a first poll (no cursor) gets the last few minutes, so cards appear at once
MAX_BACKLOG = 1000  # a cursor left far behind skips ahead rather than flooding the board
MAX_LIMIT = 500


@bp.before_request
def demo_only():
    """Outside demo mode the feed does not exist."""
    if not current_app.config["DEMO"]:
        abort(404)


def slot_seconds() -> float:
    """Seconds between two demo messages."""
    per_minute = float(current_app.config["DEMO_FEED_PER_MINUTE"])
    return 60.0 / max(min(per_minute, 600.0), 0.1)


def item(k: int, slot: float) -> dict:
    """Demo message number k, the same on every call."""
    rng = random.Random(f"mcu-demo-feed-{k}")
    topic = rng.choices([t for t, _d, _s in TOPICS], [s for _t, _d, s in TOPICS])[0]
    channel = rng.choices(list(CHANNEL_MIX), list(CHANNEL_MIX.values()))[0]
    platform = rng.choices([p for p, _w in PLATFORMS], [w for _p, w in PLATFORMS])[0]
    street, street2 = rng.sample(STREETS, 2)
    slots = {"street": street, "street2": street2, "house": rng.randint(1, 120),
             "route": rng.choice([1, 4, 8, 15, 19, 29, 31, 56, 71, 77]), "school": rng.randint(1, 88)}
    created = (EPOCH + timedelta(seconds=k * slot)).astimezone(city_tz()).replace(microsecond=0)
    return {
        "id": f"DEMO-{k:09d}",
        "created_at": created.isoformat(),
        "updated_at": created.isoformat(),
        "channel": channel,
        "platform": platform,
        "author": rng.choice(AUTHORS),
        "text": rng.choice(TEXTS.get(topic, TEXTS["Прочее"])).format(**slots),
        "url": LINKS[platform].format(a=rng.randint(10000, 99999), b=rng.randint(1000, 999999)),
        "address": f"{street}, {slots['house']}",
        "topic": topic,
        "urgent": rng.random() < 0.05,
        "status": "new",
    }


@bp.get("/incidents.json")
def incidents():
    """Messages after the cursor up to now, `limit` at a time, with the cursor to ask from next."""
    slot = slot_seconds()
    now_k = int((datetime.now(UTC) - EPOCH).total_seconds() // slot)
    cursor = request.args.get("cursor", "")
    limit_arg = request.args.get("limit", "100")
    if (cursor and not cursor.isdigit()) or not limit_arg.isdigit():
        return jsonify(error="cursor and limit must be non-negative integers"), 400
    limit = max(1, min(int(limit_arg), MAX_LIMIT))
    if cursor:
        start = max(int(cursor) + 1, now_k - MAX_BACKLOG + 1)
    else:
        start = now_k - int(FIRST_POLL_MINUTES * 60 // slot) + 1
    end = min(now_k, start + limit - 1)
    items = [item(k, slot) for k in range(start, end + 1)]
    next_cursor = str(end if end >= start else (int(cursor) if cursor else now_k))
    return jsonify(items=items, next_cursor=next_cursor, has_more=end < now_k)


DEMO_SOURCE_NAME = "Демо-лента ЦУР"


def ensure_source(port: int | str) -> str:
    """Register (or re-point) the demo feed as a source polled every 20 s; returns its URL."""
    url = f"http://127.0.0.1:{port}/demo-feed/incidents.json"
    source = db.session.scalar(db.select(FeedSource).where(FeedSource.name == DEMO_SOURCE_NAME))
    if source is None:
        db.session.add(FeedSource(name=DEMO_SOURCE_NAME, kind="cur_json", url=url, interval_seconds=20,
                                  enabled=True, cursor="", credentials=""))
    elif source.url != url:
        source.url, source.cursor = url, ""
    db.session.commit()
    return url
