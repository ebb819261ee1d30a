"""The list of every incident (rejected and older solved ones included) and an incident's detail page."""
from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..board.filters import parse
from ..board.queries import apply_filters, scope
from ..extensions import db
from ..history import EVENT_NAMES
from ..lookups import load as load_lookups
from ..models import Comment, Event, Incident
from ..workflow import STATUS_NAMES
from . import bp


@bp.get("/")
@login_required
def index():
    """Every incident the user may see, newest first, filtered like the board plus by status."""
    lookups = load_lookups()
    filters = parse(request.args, lookups.departments, lookups.topics, lookups.channels_by_code)
    status = request.args.get("status", "")
    if status and status not in STATUS_NAMES:
        filters.errors.append(_("Статус «%(value)s» не найден, фильтр не применён.", value=status[:60]))
        status = ""
    page_arg = request.args.get("page", "1")
    page = int(page_arg) if page_arg.isdigit() and 0 < int(page_arg) < 100000 else 1
    size = current_app.config["PAGE_SIZE"]
    stmt = apply_filters(scope(select(Incident), current_user), filters)
    if status:
        stmt = stmt.where(Incident.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.order_by(Incident.received_at.desc(), Incident.id.desc())
                              .limit(size).offset((page - 1) * size)).all()
    pages = max(1, (total + size - 1) // size)
    code = 400 if filters.errors else 200
    return render_template("incidents/index.html", incidents=rows, lookups=lookups, filters=filters,
                           status=status, statuses=STATUS_NAMES, page=page, pages=pages,
                           total=total), code


def visible_incident(incident_id: int) -> Incident:
    """The incident if the user's role may see it, else 404 (not 403: its existence is not disclosed)."""
    stmt = scope(select(Incident).where(Incident.id == incident_id), current_user)
    incident = db.session.scalars(stmt).first()
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
    from .. import moves
    from .actions import field_staff
    duplicates = db.session.scalars(select(Incident).where(Incident.duplicate_of_id == incident.id)
                                    .order_by(Incident.id)).all()
    ids = [incident.id] + [d.id for d in duplicates]
    events = db.session.scalars(select(Event).where(Event.incident_id.in_(ids)).order_by(Event.id)).all()
    comments = db.session.scalars(select(Comment).where(Comment.incident_id.in_(ids))
                                  .order_by(Comment.id)).all()
    original = db.session.get(Incident, incident.duplicate_of_id) if incident.duplicate_of_id else None
    user = current_user
    actions = {name: moves.may(user, incident, name) for name in ("answer", "assign", "comment", "merge", "route")}
    actions["return"] = moves.may(user, incident, "return") and incident.department_id is not None
    targets = moves.allowed_targets(user, incident)
    lookups = load_lookups() if actions["route"] else None
    return render_template("incidents/detail.html", incident=incident, events=events, comments=comments,
                           statuses=STATUS_NAMES, event_names=EVENT_NAMES, duplicates=duplicates,
                           original=original, actions=actions, targets=targets, error=error,
                           typed=typed or {}, failed=failed,
                           staff=field_staff(incident.department_id) if actions["assign"] else [],
                           departments=list(lookups.departments.values()) if lookups else [])
