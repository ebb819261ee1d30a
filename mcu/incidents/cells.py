"""Board cells (one lane × one status) re-rendered alone after a change, so a move never redraws the board."""
from urllib.parse import parse_qs

from flask import render_template, session
from flask_login import current_user
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from ..auth.people import signed_in
from ..board.filters import Filters, parse
from ..board.render import View, draw_shared
from ..lanes import lane_key
from ..lookups import load as load_lookups
from ..workflow import ANSWERED, BOARD_COLUMNS, INTERIM, OPEN_STATUSES


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


def viewer():
    """Who the redrawn cells are for: the signed-in person as this process holds them (after a change is committed
    the ORM user is expired, and reading their role would cost a round trip), else the loaded user."""
    return signed_in(session.get("_user_id", "")) or current_user


def render_cells(user, cells, board_query: str = "", changed=(), lanes: dict | None = None) -> Markup:
    """htmx partials replacing each given (department_id, status) cell on the board, with fresh cards, and
    the headings of the lanes whose counts the change between the `changed` cells may have moved. The lanes
    involved are drawn whole, and those a change stepped (``lanes``, {lane key: version}) are shared at their new
    versions, so no screen's poll has to draw them again."""
    recount = lanes_to_recount(list(changed))
    cells = [(d, s) for d, s in dict.fromkeys(cells) if s in BOARD_COLUMNS]
    if not cells and not recount:
        return Markup("")
    lookups = load_lookups()
    view = View(user, board_filters(board_query, lookups), lookups)
    involved = list(dict.fromkeys([d for d, _s in cells] + recount))
    drawn = draw_shared(view, involved, lanes or {})
    out = [render_template("board/_cell.html", lane_key=lane_key(d), status=s, html=Markup(drawn[d].cells[s]))
           for d, s in cells]
    out += [render_template("board/_lane_head.html", lane_key=lane_key(d), html=Markup(drawn[d].head))
            for d in recount]
    return Markup("".join(out))
