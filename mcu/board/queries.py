"""The board's reads: which cards each cell shows (at most a cap of them) and how many each cell and lane holds,
in one statement whose size depends on neither the number of cards nor of lanes."""
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import case, func, literal, null, or_, select, union_all

from ..access import scope
from ..lanes import in_lane, on_board
from ..models import Incident
from ..text import like_pattern
from ..workflow import ANSWERED, INTERIM, RESOLVED
from .cards import LIGHT_COLUMNS, CardCache, CardContext, cached_cards
from .filters import UNROUTED, Filters


def apply_filters(stmt, filters: Filters):
    """Add the URL's filters to a statement over incidents."""
    if filters.department == UNROUTED:
        stmt = stmt.where(Incident.department_id.is_(None))
    elif filters.department:
        stmt = stmt.where(Incident.department_id == filters.department)
    if filters.topic:
        stmt = stmt.where(Incident.topic_id == filters.topic)
    if filters.channel:
        stmt = stmt.where(Incident.channel_id == filters.channel_id)
    if filters.q:
        stmt = stmt.where(Incident.search_text.like(like_pattern(filters.q), escape="\\"))
    return stmt


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


def lane_cards(connection, user, filters: Filters, ctx: CardContext, solved_since: datetime, cap: int,
               cache: CardCache, lanes=None) -> dict:
    """{department_id: LaneCards} for every lane with cards (or only ``lanes``), each cell holding its first
    ``cap`` cards in board order and the count of all of them.

    One statement ranks the board's cards per cell with window functions, whatever the number of cards; the
    card markup comes from the cache, or from one more statement for cards it does not hold yet.
    """
    late = case((shown_due_sql() < ctx.now, literal(1)), else_=literal(0)).label("late")
    parts = []
    for condition in on_board(solved_since):
        stmt = select(*LIGHT_COLUMNS, late).where(condition)
        if lanes is not None:
            stmt = stmt.where(or_(*[in_lane(d) for d in lanes]))
        parts.append(apply_filters(scope(stmt, user), filters))
    both = union_all(*parts).subquery()
    cell = (both.c.department_id, both.c.status)
    ranked = select(
        *[both.c[c.name] for c in both.c if c.name != "late"],
        func.row_number().over(partition_by=cell, order_by=(both.c.position, both.c.received_at.desc(),
                                                            both.c.id.desc())).label("rank"),
        func.count().over(partition_by=cell).label("cell_total"),
        func.sum(case((both.c.status != RESOLVED, both.c.late), else_=0)).over(
            partition_by=both.c.department_id).label("lane_late"),
    ).subquery()
    stmt = select(ranked).where(ranked.c.rank <= cap).order_by(ranked.c.department_id, ranked.c.status,
                                                               ranked.c.rank)
    rows = connection.execute(stmt).all()
    result: dict = {}
    grouped: dict = {}
    for row, html in zip(rows, cached_cards(connection, rows, ctx, cache), strict=True):
        department_id, status = row.department_id, row.status
        lane = result.get(department_id)
        if lane is None:
            lane = result[department_id] = LaneCards(overdue=int(row.lane_late or 0))
        grouped.setdefault((department_id, status), [row.cell_total, []])[1].append(html)
    for (department_id, status), (total, cards) in grouped.items():
        result[department_id].cells[status] = Cell(Markup("".join(cards)), total, len(cards))
    return result


def lanes_with_cards(connection, user, filters: Filters, solved_since: datetime) -> set:
    """The lanes (department ids) holding at least one card this user sees under these filters."""
    parts = [apply_filters(scope(select(Incident.department_id).where(condition), user), filters)
             for condition in on_board(solved_since)]
    both = union_all(*parts).subquery()
    return set(connection.execute(select(both.c.department_id).distinct()).scalars())
