"""The board's hot path: which cards to show and how they group, in one statement whatever their number."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from ..models import Incident
from ..roles import ROLES
from ..text import excerpt, like_pattern
from ..timefmt import age, local
from ..workflow import ANSWERED, BOARD_COLUMNS, INTERIM, OPEN_STATUSES, RESOLVED
from .filters import UNROUTED, Filters

CARD_COLUMNS = (
    Incident.id, Incident.status, Incident.department_id, Incident.topic_id, Incident.channel_id,
    Incident.platform, func.substr(Incident.text, 1, 400).label("text"), Incident.received_at,
    Incident.assignee_id, Incident.first_answer_due, Incident.resolve_due, Incident.urgent,
    Incident.version,
)


def scope(stmt, user):
    """Limit a statement over incidents to what the user's role may see."""
    reach = ROLES[user.role]["scope"]
    if reach == "department":
        return stmt.where(Incident.department_id == user.department_id)
    if reach == "assigned":
        return stmt.where(Incident.assignee_id == user.id)
    return stmt


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


def deadline(status: str, first_answer_due, resolve_due):
    """The deadline a card shows: the first answer while none is given, the resolution after an interim one."""
    if status == INTERIM:
        return resolve_due
    if status in (ANSWERED, RESOLVED):
        return None
    return first_answer_due


def board_cells(db_session, user, filters: Filters, lookups, now: datetime, tz: ZoneInfo,
                solved_window_hours: int, text_chars: int):
    """Cards grouped as {department_id: {status: [card, ...]}}, ordered within each column."""
    cutoff = now - timedelta(hours=solved_window_hours)
    stmt = select(*CARD_COLUMNS).where(or_(
        Incident.status.in_(OPEN_STATUSES),
        and_(Incident.status == RESOLVED, Incident.resolved_at >= cutoff)))
    stmt = apply_filters(scope(stmt, user), filters)
    stmt = stmt.order_by(Incident.position, Incident.received_at.desc(), Incident.id.desc())
    topics, channels, users = lookups.topics, lookups.channels, lookups.users
    cells: dict = {}
    for row in db_session.execute(stmt):
        due = deadline(row.status, row.first_answer_due, row.resolve_due)
        topic = topics.get(row.topic_id)
        channel = channels.get(row.channel_id)
        assignee = users.get(row.assignee_id)
        card = {
            "id": row.id,
            "status": row.status,
            "version": row.version,
            "topic": topic.name if topic else "",
            "channel": channel.name if channel else "",
            "platform": row.platform,
            "excerpt": excerpt(row.text, text_chars),
            "age": age(row.received_at, now),
            "received": local(row.received_at, tz=tz),
            "assignee": assignee.name if assignee else "",
            "due": local(due, "%d.%m %H:%M", tz) if due else "",
            "overdue": bool(due and due < now),
            "urgent": row.urgent,
        }
        cells.setdefault(row.department_id, {}).setdefault(row.status, []).append(card)
    return cells


def lanes(cells: dict, lookups, filters: Filters, user) -> list[dict]:
    """The lanes to draw: every department when unfiltered (the wall sees the whole city), else those with cards."""
    reach = ROLES[user.role]["scope"]
    result = []
    show_all = not filters.active and reach == "all"
    if None in cells or (show_all and filters.department is None):
        if None in cells or reach == "all":
            result.append({"id": None, "name": None, "short_name": None, "cells": cells.get(None, {})})
    for dep in lookups.departments.values():
        if reach == "department" and dep.id != user.department_id:
            continue
        wanted = dep.id in cells or (show_all) or filters.department == dep.id or reach == "department"
        if wanted:
            result.append({"id": dep.id, "name": dep.name, "short_name": dep.short_name,
                           "cells": cells.get(dep.id, {})})
    for lane in result:
        lane["counts"] = {s: len(lane["cells"].get(s, ())) for s in BOARD_COLUMNS}
        lane["open"] = sum(n for s, n in lane["counts"].items() if s != RESOLVED)
        lane["overdue"] = sum(c["overdue"] for s in BOARD_COLUMNS for c in lane["cells"].get(s, ()))
    return result
