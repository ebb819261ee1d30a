"""Board cells (one lane × one status) re-rendered alone after a change, so a move never redraws the board."""
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from flask import current_app, render_template, url_for
from markupsafe import Markup
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from ..access import scope
from ..board.cards import LIGHT_COLUMNS, CardCache, CardContext, cached_cards, shown_due
from ..board.filters import Filters, parse
from ..board.queries import apply_filters
from ..extensions import db
from ..lanes import in_cell, in_lane, lane_key
from ..lookups import load as load_lookups
from ..models import Incident
from ..timefmt import city_tz
from ..workflow import ANSWERED, BOARD_COLUMNS, INTERIM, OPEN_STATUSES, STATUS_NAMES


def board_filters(query: str, lookups) -> Filters:
    """The filters of the board the user is looking at (its query string), so a redrawn cell matches it."""
    args = MultiDict([(k, v) for k, vs in parse_qs((query or "").lstrip("?")[:1000]).items() for v in vs])
    filters = parse(args, lookups.departments, lookups.topics, lookups.channels_by_code)
    filters.errors = []
    return filters


def _head_kind(status: str) -> str:
    """What a card in this status adds to its lane's heading: an open card with the first-answer deadline,
    with the resolution deadline, without one, or nothing (closed)."""
    if status not in OPEN_STATUSES:
        return "closed"
    return {INTERIM: "resolve", ANSWERED: "none"}.get(status, "first")


def lanes_to_recount(cells) -> list:
    """The lanes whose heading counts (open, overdue) a change between these cells may have changed: every
    lane of a move between lanes, the one lane of a move that opens, closes or changes a card's deadline."""
    lanes = list(dict.fromkeys(d for d, _s in cells))
    if len(lanes) > 1 or len({_head_kind(s) for _d, s in cells}) > 1:
        return lanes
    return []


def render_cells(user, cells, board_query: str = "", changed=()) -> Markup:
    """htmx partials replacing each given (department_id, status) column on the board, with fresh cards, and
    the headings of the lanes whose counts the change between the `changed` cells may have moved."""
    recount = lanes_to_recount(list(changed))
    cells = [(d, s) for d, s in dict.fromkeys(cells) if s in BOARD_COLUMNS]
    if not cells and not recount:
        return Markup("")
    lookups = load_lookups()
    filters = board_filters(board_query, lookups)
    cfg = current_app.config
    now = datetime.now(UTC)
    ctx = CardContext.build(lookups, now, city_tz(), cfg["CARD_TEXT_CHARS"], url_for("incidents.index"))
    cache = current_app.extensions.setdefault("mcu_card_cache", CardCache())
    html = _cell_cards(user, cells, filters, ctx, now - timedelta(hours=cfg["SOLVED_WINDOW_HOURS"]), cache)
    out = []
    for department_id, status in cells:
        cards = html.get((department_id, status), [])
        out.append(render_template("board/_cell.html", lane_key=lane_key(department_id), status=status,
                                   title=str(STATUS_NAMES[status]), count=len(cards),
                                   html=Markup("".join(cards)), filters=filters,
                                   solved_window_hours=cfg["SOLVED_WINDOW_HOURS"]))
    for department_id, (open_count, overdue) in _lane_counts(user, recount, filters, now).items():
        department = lookups.departments.get(department_id)
        out.append(render_template("board/_lane_head.html", lane_key=lane_key(department_id),
                                   name=department.name if department else None, open=open_count, overdue=overdue))
    return Markup("".join(out))


def _lane_counts(user, lanes, filters, now) -> dict:
    """{department_id: (open cards, overdue cards)} for the lanes, as the board counts them, in one statement."""
    if not lanes:
        return {}
    within = or_(*[in_lane(d) for d in lanes])
    stmt = apply_filters(scope(select(Incident.department_id, Incident.status, Incident.first_answer_due,
                                      Incident.resolve_due).where(Incident.status.in_(OPEN_STATUSES), within),
                               user), filters)
    counts = {d: [0, 0] for d in lanes}
    for department_id, status, first_due, resolve_due in db.session.execute(stmt):
        due = shown_due(status, first_due, resolve_due)
        counts[department_id][0] += 1
        counts[department_id][1] += due is not None and due < now
    return {d: tuple(c) for d, c in counts.items()}


def _cell_cards(user, cells, filters, ctx, cutoff, cache) -> dict:
    """Card markup per cell in two statements, through the board's card cache (same order as the board)."""
    conditions = [in_cell(department_id, status, cutoff) for department_id, status in cells]
    stmt = apply_filters(scope(select(*LIGHT_COLUMNS).where(or_(*conditions)), user), filters)
    ordered = stmt.order_by(Incident.position, Incident.received_at.desc(), Incident.id.desc())
    out: dict = {}
    for department_id, status, _overdue, html in cached_cards(db.session.connection(), ordered, ctx, cache):
        out.setdefault((department_id, status), []).append(html)
    return out
