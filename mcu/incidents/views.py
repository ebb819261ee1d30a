"""The list of every incident (rejected and older solved ones included) and an incident's detail page."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..access import allowed_targets, may
from ..board.filters import parse
from ..history import EVENT_NAMES
from ..lookups import load as load_lookups
from ..models import Incident, utcnow
from ..search import highlight
from ..search import parse as parse_query
from ..timefmt import city_tz
from ..web import whole_number
from ..workflow import FIELD_STEPS, PHOTO_TAGS, STATUS_NAMES
from . import queries

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.get("/")
@login_required
def index():
    """Every incident the user may see, filtered like the board plus by status: newest first, or the best matches
    first with their matched words marked when the filters search for words."""
    lookups = load_lookups()
    filters = parse(request.args, lookups.departments, lookups.topics, lookups.channels_by_code)
    status = request.args.get("status", "")
    if status and status not in STATUS_NAMES:
        filters.errors.append(_("Статус «%(value)s» не найден, фильтр не применён.", value=status[:60]))
        status = ""
    page_arg = request.args.get("page", "")
    page = whole_number(page_arg, low=1, high=100_000) if page_arg else 1
    if page is None:
        filters.errors.append(_("Страницы «%(value)s» нет, показана первая.", value=page_arg[:60]))
        page = 1
    size = current_app.config["PAGE_SIZE"]
    rows, total = queries.page_of(current_user, filters, status, page, size, utcnow(), city_tz())
    pages = max(1, (total + size - 1) // size)
    code = 400 if filters.errors else 200
    query, chars = parse_query(filters.q), current_app.config["LIST_TEXT_CHARS"]
    excerpts = {i.id: highlight(i.text, query, chars) for i in rows}
    return render_template("incidents/index.html", incidents=rows, lookups=lookups, filters=filters,
                           status=status, statuses=STATUS_NAMES, page=page, pages=pages,
                           total=total, excerpts=excerpts), code


def visible_incident(incident_id: int) -> Incident:
    """The incident if the user's role may see it, else 404 (not 403: its existence is not disclosed)."""
    incident = queries.reachable(incident_id, current_user)
    if incident is None:
        abort(404)
    return incident


@bp.get("/<int:incident_id>")
@login_required
def detail(incident_id: int):
    """One incident: the whole text, the original post, the answer, comments, the full history and actions."""
    return render_detail(visible_incident(incident_id))


def render_detail(incident: Incident, error: str = "", typed=None, failed: str = ""):
    """The detail page; after a refused form post it carries the error and what the user typed."""
    user = current_user
    actions = {name: may(user, incident, name) for name in ("answer", "assign", "comment", "merge", "route")}
    actions["return"] = may(user, incident, "return") and incident.department_id is not None
    lookups = load_lookups() if actions["route"] else None
    return render_template("incidents/detail.html", incident=incident, **queries.with_history(incident),
                           statuses=STATUS_NAMES, event_names=EVENT_NAMES, actions=actions,
                           field_words={**FIELD_STEPS, **PHOTO_TAGS}, photo_tags=PHOTO_TAGS,
                           targets=allowed_targets(user, incident), error=error, typed=typed or {}, failed=failed,
                           staff=queries.field_staff(incident.department_id) if actions["assign"] else [],
                           departments=list(lookups.departments.values()) if lookups else [])
