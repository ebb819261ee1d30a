"""The wall's reads, each a grouped or bounded statement whose size depends on neither the number of cards nor
(but for the lanes' list) of lanes: counts per lane and status, the few most urgent cards per lane, the city's
counters of the day, the last 15 minutes, and the next moment the wall changes by time alone."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, literal, select

from ..board.queries import local_day, shown_due_sql
from ..deadlines import HELD_TO
from ..lanes import in_lane
from ..models import Incident
from ..workflow import OPEN_STATUSES

WAITING = tuple(HELD_TO)  # statuses awaiting an answer, each held to a deadline: the cards a tile lists
STRIP_MINUTES = 15
STRIP_ITEMS = 12  # newest arrivals read for the strip at most (it shows as many as its line holds)


@dataclass
class Tile:
    """One lane's figures: cards per open status, how many are overdue, and the most urgent cards."""

    counts: dict = field(default_factory=dict)
    overdue: int = 0
    cards: list = field(default_factory=list)

    @property
    def open(self) -> int:
        return sum(self.counts.values())


def _within(stmt, lanes):
    """A statement over incidents limited to these lanes (None: every lane, the city's wall)."""
    if lanes is None:
        return stmt
    return stmt.where(*[in_lane(lanes[0])]) if len(lanes) == 1 else stmt.where(
        Incident.department_id.in_([d for d in lanes if d is not None]))


def tile_counts(connection, lanes, now: datetime) -> dict:
    """{department_id: Tile}: counts per open status and the overdue ones, in one grouped statement over the cell
    index."""
    due = shown_due_sql()
    late = case((due < now, literal(1)), else_=literal(0))
    rows = connection.execute(_within(
        select(Incident.department_id, Incident.status, func.count(), func.sum(late))
        .where(Incident.status.in_(OPEN_STATUSES)), lanes).group_by(Incident.department_id, Incident.status)).all()
    result: dict = {}
    for department_id, status, total, overdue in rows:
        tile = result.setdefault(department_id, Tile())
        tile.counts[status] = int(total)
        tile.overdue += int(overdue or 0)
    return result


def urgent_cards(connection, lanes, now: datetime, cards: int, result: dict) -> None:
    """Each lane's first ``cards`` waiting cards (overdue first, then due soonest), read in one numbered pass, added
    to the lanes' tiles."""
    if cards <= 0 or not result:
        return
    due = shown_due_sql()
    place = func.row_number().over(partition_by=Incident.department_id,
                                   order_by=(case((due.is_(None), 1), else_=0), due, Incident.received_at,
                                             Incident.id))
    ranked = _within(select(Incident.id, place.label("place")).where(Incident.status.in_(WAITING)), lanes).subquery()
    chosen = connection.execute(
        select(Incident.id, Incident.department_id, Incident.status, Incident.topic_id, Incident.text,
               Incident.received_at, due.label("due"), Incident.urgent,
               # escalated to the operators for the deadline the card shows now, as on the board
               case((Incident.escalated_due == due, 1), else_=0).label("escalated"))
        .join(ranked, ranked.c.id == Incident.id).where(ranked.c.place <= cards)
        .order_by(case((due.is_(None), 1), else_=0), due, Incident.received_at, Incident.id)).all()
    for row in chosen:
        result[row.department_id].cards.append(row)


@dataclass
class Counters:
    received: int
    answered: int
    median_minutes: float | None


def counters(connection, lanes, now: datetime, tz) -> Counters:
    """Today's (the city's calendar day) messages received, first answers given, and the median working minutes
    from receipt to the first answer of those answered today."""
    start, _end = local_day(now, tz)
    received = connection.scalar(_within(select(func.count()).where(
        Incident.received_at >= start, Incident.duplicate_of_id.is_(None)), lanes))
    answered_today = _within(select(Incident.first_answer_work_minutes).where(
        Incident.first_answered_at >= start, Incident.duplicate_of_id.is_(None)), lanes)
    answered = connection.scalar(select(func.count()).select_from(answered_today.subquery()))
    timed = answered_today.where(Incident.first_answer_work_minutes.is_not(None))
    n = connection.scalar(select(func.count()).select_from(timed.subquery()))
    median = None
    if n:  # the middle one or two values, read from the ordered answers of the day
        middle = connection.scalars(timed.order_by(Incident.first_answer_work_minutes)
                                    .offset((n - 1) // 2).limit(2 - n % 2)).all()
        median = sum(middle) / len(middle)
    return Counters(int(received or 0), int(answered or 0), median)


def arrivals(connection, lanes, now: datetime):
    """(how many arrived in the last 15 minutes, the newest of them, the moment the oldest leaves the strip)."""
    since = now - timedelta(minutes=STRIP_MINUTES)
    recent = _within(select(Incident.id).where(Incident.received_at >= since, Incident.received_at <= now,
                                               Incident.duplicate_of_id.is_(None)), lanes)
    count = connection.scalar(select(func.count()).select_from(recent.subquery()))
    newest = connection.execute(_within(
        select(Incident.id, Incident.department_id, Incident.topic_id, Incident.received_at)
        .where(Incident.received_at >= since, Incident.received_at <= now, Incident.duplicate_of_id.is_(None)), lanes)
        .order_by(Incident.received_at.desc(), Incident.id.desc()).limit(STRIP_ITEMS)).all()
    oldest = connection.scalar(_within(select(func.min(Incident.received_at)).where(
        Incident.received_at >= since, Incident.received_at <= now, Incident.duplicate_of_id.is_(None)), lanes))
    return int(count or 0), newest, oldest


def next_deadline(connection, lanes, now: datetime):
    """The next moment a waiting card becomes overdue (None: none will), so the wall's poll knows when time alone
    changes what it shows."""
    due = shown_due_sql()
    return connection.scalar(_within(select(func.min(due)).where(
        and_(Incident.status.in_(WAITING), due > now)), lanes))
