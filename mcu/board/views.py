"""Board pages: the whole city, or one department, filtered by what the URL says."""
from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..access import can_move
from ..extensions import db
from ..lookups import load as load_lookups
from ..models import BoardState, Department
from ..roles import can
from ..timefmt import city_tz
from ..web import is_htmx, whole_number
from ..workflow import BOARD_COLUMNS, STATUS_NAMES
from .cards import CardCache, CardContext
from .filters import UNROUTED, parse
from .queries import board_cells, lanes

bp = Blueprint("board", __name__)


def board_context():
    """Everything the board template needs, from the current request's filters."""
    lookups = load_lookups()
    filters = parse(request.args, lookups.departments, lookups.topics, lookups.channels_by_code)
    now = datetime.now(UTC)
    cfg = current_app.config
    ctx = CardContext.build(lookups, now, city_tz(), cfg["CARD_TEXT_CHARS"], url_for("incidents.index"))
    cache = current_app.extensions.setdefault("mcu_card_cache", CardCache())
    cells, overdue = board_cells(db.session, current_user, filters, ctx, cfg["SOLVED_WINDOW_HOURS"], cache)
    version = current_version()
    return {
        "lookups": lookups,
        "filters": filters,
        "lanes": lanes(cells, overdue, lookups, filters, current_user),
        "columns": [(s, str(STATUS_NAMES[s])) for s in BOARD_COLUMNS],  # translated once, not per lane
        "board_version": version,
        "unrouted": UNROUTED,
        "solved_window_hours": cfg["SOLVED_WINDOW_HOURS"],
        "poll_seconds": cfg["BOARD_POLL_SECONDS"],
        "generated_at": now,
        "drag": drag_mode(current_user.role),
        "can_move": can_move(current_user.role),
    }


def drag_mode(role: str) -> str:
    """How far this role's drag reaches: the whole board (routing between lanes), its lane, or no drag."""
    if can(role, "route"):
        return "board"
    if can(role, "move"):
        return "lane"
    return ""


def current_version() -> int:
    """The board version: bumped by every change, read with one indexed lookup."""
    return db.session.execute(db.select(BoardState.version).where(BoardState.id == 1)).scalar() or 0


@bp.get("/board")
@login_required
def show():
    """The kanban: one lane per department, one column per status; htmx asks for just the lanes.

    Open boards poll with ``since=<version>``: an unchanged board answers 204 with no body, which
    costs the session lookup and one indexed read; a changed one returns the lanes to morph in.
    """
    since = request.args.get("since", "")
    since = whole_number(request.args.get("since"), high=2**62)
    if since is not None and is_htmx() and current_version() == since:
        return "", 204
    context = board_context()
    status = 400 if context["filters"].errors else 200
    if is_htmx() and request.headers.get("HX-Request-Type") != "full":
        return render_block("board/board.html", "lanes", **context), status
    return render_template("board/board.html", **context), status


@bp.get("/board/departments.css")
def department_colours():
    """Lane colours as a stylesheet, since the CSP forbids inline styles."""
    rows = db.session.execute(db.select(Department.id, Department.colour)).all()
    css = "\n".join(f".lane-{i} {{ --lane: {c}; }}" for i, c in rows
                    if c and c.startswith("#") and len(c) in (4, 7) and c[1:].isalnum())
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=300"}
