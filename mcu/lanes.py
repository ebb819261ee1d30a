"""Lanes and cells: which cards one lane × one status holds, and how a lane is named outside the database.

A lane is a department, or the unrouted lane («Не распределено»), whose department id is ``None`` in the
database and in Python and whose key is ``UNROUTED_KEY`` in URLs, forms and DOM ids (docs/glossary.md).
"""
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, text

from .extensions import db, process_cached
from .models import Incident, LaneState
from .workflow import ANSWERED, OPEN_STATUSES, RESOLVED

ON_BOARD_ALWAYS = tuple(s for s in OPEN_STATUSES if s != ANSWERED)  # the columns that show every card they hold

UNROUTED_KEY = "unrouted"
EPOCH_KEY = "@epoch"  # a row of lane_state that is no lane: a random number made with the database's lanes
PEOPLE_KEY = "@people"  # a row of lane_state that is no lane: stepped with every change of a user (auth/people.py)


def lane_key(department_id: int | None) -> str:
    """A lane as it is written in URLs, forms and DOM ids."""
    return UNROUTED_KEY if department_id is None else str(department_id)


def in_lane(department_id: int | None):
    """The SQL condition "the incident is in this lane"."""
    return Incident.department_id.is_(None) if department_id is None else Incident.department_id == department_id


def on_board(solved_since: datetime) -> tuple:
    """The board's cards as SQL conditions, each served by its own covering index (the board lists them as a
    UNION ALL): open incidents still waiting for an answer; answered ones («Ответ дан») answered within the window
    the board shows; incidents solved within it. Older answered and solved
    ones are history: counted in reports, found in the list, not on the board. A duplicate is «Отклонено», so
    never on the board."""
    return (Incident.status.in_(ON_BOARD_ALWAYS), answered_recently(solved_since),
            and_(Incident.status == RESOLVED, Incident.resolved_at >= solved_since))


def answered_recently(since: datetime):
    """«Ответ дан» within the window: answered at or after ``since`` (every writer of the status writes the moment:
    the verbs, ingestion, migration 0012's backfill). An answered card is never resolved (its resolved_at is NULL):
    saying so makes the condition one range of the board's window index."""
    return and_(Incident.status == ANSWERED, Incident.resolved_at.is_(None), Incident.answered_at >= since)


def in_cell(department_id: int | None, status: str, solved_since: datetime):
    """The SQL condition "the incident is a card of this cell": its lane and status, and for «Ответ дан» and
    «Решено» answered or solved within the window the board shows."""
    condition = and_(in_lane(department_id), Incident.status == status)
    if status == RESOLVED:
        condition = and_(condition, Incident.resolved_at >= solved_since)
    elif status == ANSWERED:
        condition = and_(in_lane(department_id), answered_recently(solved_since))
    return condition


_BUMP = text("INSERT INTO lane_state (lane, version) VALUES (:lane, 1) "
             "ON CONFLICT (lane) DO UPDATE SET version = lane_state.version + 1 RETURNING version")


def bump(department_ids: Iterable[int | None]) -> dict[str, int]:
    """Step the version of each of these lanes in the caller's transaction, so every screen showing one of
    them sees the change and no other screen does; returns {lane key: its new version}. Lanes are locked in
    one order (no deadlock between two writers); a lane without a row yet gets one."""
    connection = db.session.connection()
    return {key: step(connection, key) for key in sorted({lane_key(d) for d in department_ids})}


def step(connection, key: str) -> int:
    """Step one row of ``lane_state`` in the transaction of this connection; its new version."""
    return connection.execute(_BUMP, {"lane": key}).scalar_one()


def bump_every_lane() -> None:
    """Step every lane: something every card shows changed (a topic's, channel's or person's name)."""
    db.session.execute(text("UPDATE lane_state SET version = version + 1"))


def ensure_epoch() -> None:
    """Give this database's lane versions an epoch of their own, once. Versions restart from nothing when the
    lane rows are made anew (a new database, a restored one, the tests' clean slate), and a rendered lane is
    shared by (lane, version): the epoch in every key and every poll tells one database's lane 7 at version 3
    from another's."""
    if db.session.get(LaneState, EPOCH_KEY) is None:
        db.session.add(LaneState(lane=EPOCH_KEY, version=secrets.randbelow(2**62) + 1))


def read_versions() -> dict[str, int]:
    """{lane key: version} as the database has it now (a lane never changed is absent: version 0)."""
    return dict(db.session.execute(db.select(LaneState.lane, LaneState.version)).all())


class VersionCache:
    """The lane versions as this process last read them, read again when older than ``ttl`` seconds: the idle
    poll of 500 screens costs a dictionary look-up, and the database one small read per ``ttl`` per process."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._at = float("-inf")
        self._values: dict[str, int] = {}
        self._lock = threading.Lock()

    def fresh(self) -> dict[str, int] | None:
        """The versions when read no longer than ``ttl`` ago, else None (without reading: no database here)."""
        return self._values if time.monotonic() - self._at <= self.ttl else None

    def get(self) -> dict[str, int]:
        if time.monotonic() - self._at > self.ttl:
            with self._lock:
                if time.monotonic() - self._at > self.ttl:
                    self._values = read_versions()
                    self._at = time.monotonic()
        return self._values


HELD_VERSIONS = "mcu_lane_versions"  # this process's VersionCache in app.extensions (board/idle.py reads it too)


def held_versions() -> VersionCache:
    """This process's copy of the lane versions, which every poll (boards' and walls') compares with."""
    return process_cached(HELD_VERSIONS, lambda: VersionCache(current_app.config["LANE_VERSION_TTL"]))
