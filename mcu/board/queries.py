"""The board's reads: which cards each cell shows (at most a cap of them) and how many each cell and lane holds,
in one statement whose size depends on neither the number of cards nor of lanes."""
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import and_, bindparam, case, func, literal, null, or_, select, union_all

from ..access import reach_signature, scope
from ..lanes import in_cell, in_lane, on_board
from ..models import Incident
from ..roles import FIELD, HEAD, OPERATOR
from ..search import condition, parse
from ..workflow import ANSWERED, INTERIM, RESOLVED
from .cards import LIGHT_COLUMNS, CardCache, CardContext, cached_cards
from .filters import DUE_TODAY, OVERDUE, UNROUTED, Filters


def apply_filters(stmt, filters: Filters, user, now: datetime, tz: ZoneInfo):
    """Add the URL's filters to a statement over incidents (the deadline ones as of ``now``, «today» in ``tz``,
    «Мои» for ``user``)."""
    if filters.department == UNROUTED:
        stmt = stmt.where(Incident.department_id.is_(None))
    elif filters.department:
        stmt = stmt.where(Incident.department_id == filters.department)
    if filters.topic:
        stmt = stmt.where(Incident.topic_id == filters.topic)
    if filters.channel:
        stmt = stmt.where(Incident.channel_id == filters.channel_id)
    if filters.q and (query := parse(filters.q)):
        stmt = stmt.where(condition(query))
    if filters.deadline == OVERDUE:
        stmt = stmt.where(shown_due_sql() < now)
    elif filters.deadline == DUE_TODAY:
        start, end = local_day(now, tz)
        stmt = stmt.where(shown_due_sql() >= start, shown_due_sql() < end)
    if filters.mine:
        stmt = stmt.where(mine(user))
    if filters.unassigned:
        stmt = stmt.where(Incident.assignee_id.is_(None))
    return stmt


def local_day(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The city's calendar day holding ``now``, as [start, end) in UTC."""
    start = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    return start.astimezone(UTC), datetime.combine(start.date() + timedelta(days=1), time(0), tz).astimezone(UTC)


# «Мои»: the cards waiting on me. A field worker's are assigned to them; a head's are the department's cards
# nobody is assigned to (the head's own to hand out or answer); an operator's are the unrouted ones; anyone
# else's (admin, viewer) are those assigned to them.
MINE_RULES = {
    FIELD: lambda user: Incident.assignee_id == user.id,
    HEAD: lambda user: and_(Incident.department_id == user.department_id, Incident.assignee_id.is_(None)),
    OPERATOR: lambda user: Incident.department_id.is_(None),
}


def mine(user):
    """The SQL condition of the «Мои» filter for this user."""
    rule = MINE_RULES.get(user.role)
    return rule(user) if rule else Incident.assignee_id == user.id


def shown_due_sql():
    """The deadline a card shows, as SQL (the same rule as ``cards.shown_due``)."""
    return case((Incident.status == INTERIM, Incident.resolve_due),
                (Incident.status.in_((ANSWERED, RESOLVED)), null()), else_=Incident.first_answer_due)


@dataclass
class Cell:
    """The cards of one lane × one status: the markup of those shown, how many are shown, how many there are."""

    html: Markup
    count: int
    shown: int

    @property
    def more(self) -> int:
        return self.count - self.shown


@dataclass
class LaneCards:
    """One lane's cells and how many of its open cards are overdue."""

    cells: dict = field(default_factory=dict)
    overdue: int = 0


NOW, SINCE = bindparam("board_now"), bindparam("board_since")  # a render's moment and its solved window's start
STATEMENTS_HELD = 512  # the board's statements a process keeps, built (docs/live.md «Statements built once»)
_held: OrderedDict = OrderedDict()
_held_lock = threading.Lock()


def _statement(key, make):
    """The statement under this key as this process built it before, else built now and kept (the newest
    ``STATEMENTS_HELD``). Building the statements of a lane costs ten times the database's time to run them, and
    every change of a lane is drawn again: a statement takes its moment and window as parameters, so the same
    lanes, cells and reach make the same statement."""
    found = _held.get(key)
    if found is None:
        found = make()
        with _held_lock:
            _held[key] = found
            while len(_held) > STATEMENTS_HELD:
                _held.popitem(last=False)
    return found


def _counts(user, filters: Filters, lanes: list, now: datetime, tz: ZoneInfo):
    """Every cell's count of cards and every lane's overdue ones, over these lanes (index-only)."""
    within = or_(*[in_lane(d) for d in lanes])
    late = case((shown_due_sql() < NOW, literal(1)), else_=literal(0))
    parts = [apply_filters(scope(select(Incident.department_id, Incident.status, late.label("late"))
                                 .where(condition, within), user), filters, user, now, tz)
             for condition in on_board(SINCE)]
    both = union_all(*parts).subquery()
    return (select(both.c.department_id, both.c.status, func.count(),
                   func.sum(case((both.c.status != RESOLVED, both.c.late), else_=0)))
            .group_by(both.c.department_id, both.c.status))


def _first_cards(user, filters: Filters, cells: tuple, cap: int, now: datetime, tz: ZoneInfo):
    """Each of these cells' first ``cap`` cards in board order: an arm per cell, each the start of its index range."""
    arms = []
    for department_id, status in cells:
        arm = apply_filters(scope(select(*LIGHT_COLUMNS).where(in_cell(department_id, status, SINCE)), user),
                            filters, user, now, tz)
        arms.append(select(arm.order_by(Incident.urgency, Incident.position, Incident.received_at.desc(),
                                        Incident.id.desc()).limit(cap).subquery()))
    return union_all(*arms) if len(arms) > 1 else arms[0]


def lane_cards(connection, user, filters: Filters, ctx: CardContext, solved_since: datetime, cap: int,
               cache: CardCache, lanes: list) -> dict:
    """{department_id: LaneCards} for the lanes holding cards among ``lanes``, each cell with its first ``cap``
    cards in board order and the count of all of them.

    Two statements whatever the number of cards: one counts the cards of every cell (and the overdue ones of
    every lane) in an index-only pass; one reads each cell's first cards as the first entries of its index
    range, an arm per cell. Unfiltered, both are built once per process for the same lanes, cells and reach.
    The card markup comes from the cache, or from statements by id for the cards it does not hold yet.
    """
    if not lanes:
        return {}
    params = {"board_now": ctx.now, "board_since": solved_since}
    reach = reach_signature(user)
    if filters.active:  # a filter's conditions carry their own values (a search, «Мои», today): built each time
        counts_stmt = _counts(user, filters, lanes, ctx.now, ctx.tz)
    else:
        counts_stmt = _statement(("counts", tuple(lanes), reach),
                                 lambda: _counts(user, filters, lanes, ctx.now, ctx.tz))
    result: dict = {}
    for department_id, status, total, overdue in connection.execute(counts_stmt, params).all():
        lane = result.setdefault(department_id, LaneCards())
        lane.overdue += int(overdue or 0)
        lane.cells[status] = Cell(Markup(""), total, 0)
    if not result:
        return result
    cells = tuple((d, status) for d, lane in result.items() for status in lane.cells)
    if parse(filters.q):
        rows = connection.execute(first_matching_cards(user, filters, solved_since, cap, list(result), ctx.now,
                                                       ctx.tz)).all()
    elif filters.active:
        rows = connection.execute(_first_cards(user, filters, cells, cap, ctx.now, ctx.tz), params).all()
    else:
        rows = connection.execute(_statement(("cards", cells, reach, cap),
                                             lambda: _first_cards(user, filters, cells, cap, ctx.now, ctx.tz)),
                                  params).all()
    rows.sort(key=lambda r: (r.received_at, r.id), reverse=True)  # newest first within a position...
    rows.sort(key=lambda r: (r.urgency, r.position))  # ...by urgency, then position (a stable sort keeps the rest)
    grouped: dict = {}
    for row, html in zip(rows, cached_cards(connection, rows, ctx, cache), strict=True):
        grouped.setdefault((row.department_id, row.status), []).append(html)
    for (department_id, status), cards in grouped.items():
        cell = result[department_id].cells[status]
        cell.html, cell.shown = Markup("".join(cards)), len(cards)
    return result


def first_matching_cards(user, filters: Filters, solved_since: datetime, cap: int, lanes: list, now: datetime,
                         tz: ZoneInfo):
    """With a search, each cell's first ``cap`` matching cards in board order, numbered by one window over the
    matching cards of these lanes: the search is evaluated once, where an arm per cell would evaluate it once per
    cell (SQLite, a word in 13 % of 100,000 messages: 3 ms against 46 ms; docs/search.md)."""
    place = func.row_number().over(partition_by=(Incident.department_id, Incident.status),
                                   order_by=(Incident.urgency, Incident.position, Incident.received_at.desc(),
                                             Incident.id.desc()))
    matching = apply_filters(scope(select(*LIGHT_COLUMNS, place.label("place")).where(
        or_(*on_board(solved_since)), or_(*[in_lane(d) for d in lanes])), user), filters, user, now, tz).subquery()
    return select(*[c for c in matching.c if c.key != "place"]).where(matching.c.place <= cap)


def lanes_with_cards(connection, user, filters: Filters, solved_since: datetime, now: datetime, tz: ZoneInfo) -> set:
    """The lanes (department ids) holding at least one card this user sees under these filters."""
    parts = [apply_filters(scope(select(Incident.department_id).where(condition), user), filters, user, now, tz)
             for condition in on_board(solved_since)]
    both = union_all(*parts).subquery()
    return set(connection.execute(select(both.c.department_id).distinct()).scalars())
