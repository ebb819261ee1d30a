"""The board's reads: which cards to show and how they group, in a fixed number of statements."""
from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup
from sqlalchemy import select, union_all

from ..access import scope
from ..lanes import lane_key, on_board
from ..models import Incident
from ..roles import ROLES
from ..text import like_pattern
from ..workflow import BOARD_COLUMNS, RESOLVED
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


@dataclass
class Cell:
    """The cards of one lane × one status: their markup, joined, and how many there are."""

    html: Markup
    count: int


def board_cells(db_session, user, filters: Filters, ctx: CardContext, solved_window_hours: int,
                cache: CardCache):
    """Cards grouped as {department_id: {status: Cell}}, ordered within each cell.

    At most two statements whatever the number of cards (see ``cached_cards``).
    """
    parts = [apply_filters(scope(select(*LIGHT_COLUMNS).where(condition), user), filters)
             for condition in on_board(ctx.now - timedelta(hours=solved_window_hours))]
    both = union_all(*parts).subquery()
    stmt = select(both).order_by(both.c.position, both.c.received_at.desc(), both.c.id.desc())
    cells: dict = {}
    overdue_by_lane: dict = {}
    for department_id, status, overdue, html in cached_cards(db_session.connection(), stmt, ctx, cache):
        lane = cells.get(department_id)
        if lane is None:
            lane = cells[department_id] = {}
            overdue_by_lane[department_id] = 0
        cell = lane.get(status)
        if cell is None:
            cell = lane[status] = []
        cell.append(html)
        if overdue:
            overdue_by_lane[department_id] += 1
    for lane in cells.values():
        for status, cards in lane.items():
            lane[status] = Cell(Markup("".join(cards)), len(cards))
    return cells, overdue_by_lane


def lanes(cells: dict, overdue_by_lane: dict, lookups, filters: Filters, user) -> list[dict]:
    """The lanes to draw: every department when unfiltered (the wall sees the whole city), else those with cards."""
    reach = ROLES[user.role]["scope"]
    result = []
    show_all = not filters.active and reach == "all"
    if None in cells or show_all or filters.department == UNROUTED:
        result.append({"id": None, "name": None, "short_name": None, "cells": cells.get(None, {})})
    for dep in lookups.departments.values():
        if reach == "department" and dep.id != user.department_id:
            continue
        wanted = dep.id in cells or show_all or filters.department == dep.id or reach == "department"
        if wanted:
            result.append({"id": dep.id, "name": dep.name, "short_name": dep.short_name,
                           "cells": cells.get(dep.id, {})})
    for lane in result:
        lane["key"] = lane_key(lane["id"])
        lane["counts"] = {s: lane["cells"][s].count if s in lane["cells"] else 0 for s in BOARD_COLUMNS}
        lane["open"] = sum(n for s, n in lane["counts"].items() if s != RESOLVED)
        lane["overdue"] = overdue_by_lane.get(lane["id"], 0)
    return result
