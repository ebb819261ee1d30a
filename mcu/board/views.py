"""Board pages: the whole city, or one department, filtered by what the URL says, and the poll that keeps an
open board current by fetching only the lanes that changed."""
from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, session, url_for
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..access import can_move
from ..auth.people import held_people
from ..extensions import db, login_manager
from ..incidents.queries import field_staff_load
from ..lanes import EPOCH_KEY, PEOPLE_KEY, UNROUTED_KEY, held_versions, lane_key, read_versions
from ..lookups import load as load_lookups
from ..models import Department
from ..roles import ROLES, can
from ..shortcuts.service import usable_templates
from ..shortcuts.service import views_of as saved_views
from ..web import is_htmx, whole_number
from .cards import due_words
from .filters import UNROUTED, parse
from .idle import MAX_LANES, unchanged
from .queries import lanes_with_cards
from .render import View, render_changed, render_lanes

bp = Blueprint("board", __name__)


def drag_mode(role: str) -> str:
    """How far this role's drag reaches: the whole board (routing between lanes), its lane, or no drag."""
    if can(role, "route"):
        return "board"
    if can(role, "move"):
        return "lane"
    return ""


def in_scope(user, lookups) -> list:
    """The lanes this user can ever see, in board order: a change elsewhere never concerns their screen."""
    if ROLES[user.role]["scope"] == "all":
        return [None, *lookups.departments]
    return [] if user.department_id is None else [user.department_id]


def lanes_to_show(view: View) -> list:
    """The lanes to draw: the whole city when unfiltered (the wall sees every department), a head's own lane
    always, otherwise the lanes holding cards under the filters (and a lane the filter names)."""
    user, filters = view.user, view.filters
    scope_lanes = in_scope(user, view.lookups)
    reach = ROLES[user.role]["scope"]
    named = None if filters.department == UNROUTED else filters.department
    if reach == "department":
        return [d for d in scope_lanes if not filters.department or d == named]
    if not filters.active and reach == "all":
        return scope_lanes
    solved_since = view.now - timedelta(hours=view.window)
    holding = lanes_with_cards(db.session.connection(), user, filters, solved_since, view.now, view.ctx.tz)
    named_lanes = {named} if filters.department else set()
    return [d for d in scope_lanes if d in holding or d in named_lanes]


def _encode(department_ids, versions: dict) -> str:
    """The poll's ``v``: the database's epoch and the version of every lane the screen can see."""
    return ",".join([f"{EPOCH_KEY}.{versions.get(EPOCH_KEY, 0)}"]
                    + [f"{lane_key(d)}.{versions.get(lane_key(d), 0)}" for d in department_ids])


def _decode(value: str) -> dict | None:
    """{lane key: version} from a poll's ``v``; None when it is not one the board wrote."""
    seen = {}
    for part in (value or "").split(",")[:MAX_LANES]:
        key, _dot, version = part.partition(".")
        number = whole_number(version, high=2**62)
        if number is None or not (key in (UNROUTED_KEY, EPOCH_KEY) or whole_number(key) is not None):
            return None
        seen[key] = number
    return seen


def live_context(view: View, versions: dict, shown: list, draw=None, seen: dict | None = None) -> dict:
    """The lanes block: the lanes (those in ``draw``, all shown ones by default) with their markup, and the poll
    that keeps them current. With ``seen`` (the versions a polling screen shows), only what changed since then
    goes out in full (board/delta.py)."""
    if seen is None:
        drawn = render_lanes(view, shown if draw is None else draw, versions)
    else:
        drawn = render_changed(view, shown if draw is None else draw, versions, seen)
    cfg = current_app.config
    return {
        "filters": view.filters,
        "lanes": [(lane_key(d), drawn[d]) for d in shown if d in drawn],
        "poll_url": url_for("board.changes", v=_encode(in_scope(view.user, view.lookups), versions),
                            show=",".join(lane_key(d) for d in shown), **view.filters.args()),
        "poll_seconds": cfg["BOARD_POLL_SECONDS"],
        "drag": drag_mode(view.user.role),
        "can_move": can_move(view.user.role),
    }


@bp.get("/board")
@login_required
def show():
    """The kanban: one lane per department, one column per status; the filter form asks for just the lanes."""
    versions = read_versions()  # before the cards: a lane is never stored under a newer version than it shows
    lookups = load_lookups()
    filters = parse(request.args, lookups.departments, lookups.topics, lookups.channels_by_code)
    view = View(current_user, filters, lookups)
    context = {**live_context(view, versions, lanes_to_show(view)), "lookups": lookups, "unrouted": UNROUTED,
               "due_words": due_words(), **work_context(current_user, lookups, filters)}
    status = 400 if filters.errors else 200
    if is_htmx() and request.headers.get("HX-Request-Type") != "full":
        return render_block("board/board.html", "live", **context), status
    return render_template("board/board.html", **context), status


BULK_RIGHTS = ("move", "assign", "answer", "route", "merge")  # what the bulk bar may offer, by the role's rights


def work_context(user, lookups, filters) -> dict:
    """The bulk bar (what this role may do to many cards at once, with whom and with which templates) and the
    person's saved views as tabs, the current one marked."""
    rights = {right: can(user.role, right) for right in BULK_RIGHTS}
    departments = list(lookups.departments) if ROLES[user.role]["scope"] == "all" else [user.department_id]
    views = saved_views(user)
    query = urlencode(filters.args())
    return {
        "bulk": rights if any(rights.values()) else None,
        "bulk_staff": field_staff_load(departments) if rights["assign"] else [],
        "bulk_templates": usable_templates(user) if rights["answer"] else [],
        "saved_views": views, "current_view": next((v.id for v in views if v.query == query), None),
        "view_query": query,
    }


@bp.get("/board/changes")
def changes():
    """An open board's poll: 204 while none of the lanes it can see changed, which costs reading the signed
    session and comparing versions this process holds (no template, no database, no user lookup); else the
    changed lanes as htmx partials, or the whole lanes block when the set of lanes to show changed."""
    if "_user_id" not in session:
        return login_manager.unauthorized()
    versions = held_versions().get()
    if unchanged(request.args.get("v", ""), versions):
        return "", 204
    person = held_people().get(session["_user_id"], versions.get(PEOPLE_KEY, 0))
    if person is None:
        return login_manager.unauthorized()
    return _changed(person, versions, _decode(request.args.get("v", "")) or {})


def _changed(person, versions: dict, seen: dict):
    """The lanes that changed since the screen's versions, drawn like the board does. The versions are the ones
    this process holds, read before any card is: a lane is never stored under a newer version than it shows (at
    worst under an older one, which the next poll draws again), and a poll whose lanes another screen already
    had drawn reads no database at all."""
    lookups = load_lookups()
    filters = parse(request.args, lookups.departments, lookups.topics, lookups.channels_by_code)
    filters.errors = []
    view = View(person, filters, lookups)
    shown = lanes_to_show(view)
    shown_before = [key for key in (request.args.get("show") or "").split(",") if key][:MAX_LANES]
    if [lane_key(d) for d in shown] != shown_before or seen.get(EPOCH_KEY) != versions.get(EPOCH_KEY, 0):
        return render_template("board/_changes.html", whole=True, **live_context(view, versions, shown))
    changed = [d for d in shown if seen.get(lane_key(d)) != versions.get(lane_key(d), 0)]
    return render_template("board/_changes.html", whole=False, **live_context(view, versions, shown, changed, seen))


@bp.get("/board/departments.css")
def department_colours():
    """Lane colours as a stylesheet, since the CSP forbids inline styles."""
    rows = db.session.execute(db.select(Department.id, Department.colour)).all()
    css = "\n".join(f".lane-{i} {{ --lane: {c}; }}" for i, c in rows
                    if c and c.startswith("#") and len(c) in (4, 7) and c[1:].isalnum())
    return css, 200, {"Content-Type": "text/css; charset=utf-8", "Cache-Control": "max-age=300"}
