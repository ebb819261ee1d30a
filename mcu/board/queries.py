"""The board's hot path: which cards to show and how they group, in one statement whatever their number."""
from dataclasses import dataclass
from html import escape
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import String, func, select, type_coerce, union_all

from ..models import Incident
from ..roles import ROLES
from ..text import excerpt, like_pattern
from ..workflow import ANSWERED, BOARD_COLUMNS, INTERIM, OPEN_STATUSES, RESOLVED
from .filters import UNROUTED, Filters

def _card_columns():
    """The columns a card needs; datetimes come back raw and are parsed in the loop (SQLite's result
    processor parses them with a regular expression, several times slower than ``fromisoformat``)."""
    raw = lambda col: type_coerce(col, String)  # noqa: E731
    return (Incident.id, Incident.status, Incident.department_id, Incident.topic_id, Incident.channel_id,
            Incident.platform, func.substr(Incident.text, 1, 400).label("text"), raw(Incident.received_at),
            Incident.assignee_id, raw(Incident.first_answer_due), raw(Incident.resolve_due), Incident.urgent,
            Incident.version, Incident.position)


CARD_COLUMNS = _card_columns()


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


def _utc(value):
    """A raw database datetime (text on SQLite, naive datetime on PostgreSQL) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc)


def _short(dt: datetime, tz: ZoneInfo) -> str:
    d = dt.astimezone(tz)
    return f"{d.day:02d}.{d.month:02d} {d.hour:02d}:{d.minute:02d}"


@dataclass
class CardContext:
    """What every card of one render shares: names escaped once, words translated once."""

    now: datetime
    tz: ZoneInfo
    text_chars: int
    href: str
    topics: dict
    channels: dict
    users: dict
    words: dict

    @classmethod
    def build(cls, lookups, now, tz, text_chars, detail_prefix):
        return cls(now, tz, text_chars, escape(detail_prefix),
                   {k: escape(t.name) for k, t in lookups.topics.items()},
                   {k: escape(c.name) for k, c in lookups.channels.items()},
                   {k: escape(u.name) for k, u in lookups.users.items()},
                   {"no_topic": escape(_("Без тематики")), "urgent": escape(_("срочно")),
                    "due": escape(_("до")), "now": _("сейчас"), "min": _("%(n)d мин"),
                    "hours": _("%(n)d ч"), "days": _("%(n)d д")})


def render_cards(db_session, stmt, ctx: CardContext):
    """Run a statement over CARD_COLUMNS and yield (department_id, status, overdue, card html) per row.

    The board is the hottest path (2,000 cards within 60 ms on a small machine), so a card is one
    format string here rather than a Jinja macro: Jinja spends ~30 µs per card on escaping and lookups.
    Every text from a feed or a user passes through ``html.escape``; names were escaped in the context.
    The caller wraps the joined cards of a column in ``Markup`` once.
    """
    now, tz, words, href = ctx.now, ctx.tz, ctx.words, ctx.href
    topics, channels, users = ctx.topics, ctx.channels, ctx.users
    no_topic, urgent_label, due_label = words["no_topic"], words["urgent"], words["due"]
    just_now, minutes, hours, days = words["now"], words["min"], words["hours"], words["days"]
    limit = ctx.text_chars
    for (ident, status, department_id, topic_id, channel_id, platform, text, received_at, assignee_id,
         first_due, resolve_due, urgent, version, _position) in db_session.connection().execute(stmt).all():
        received_at = _utc(received_at)
        due = _utc(resolve_due if status == INTERIM else (None if status in (ANSWERED, RESOLVED) else first_due))
        seconds = (now - received_at).total_seconds()
        age = (just_now if seconds < 60 else minutes % {"n": seconds // 60} if seconds < 3600
               else hours % {"n": seconds // 3600} if seconds < 86400 else days % {"n": seconds // 86400})
        channel = channels.get(channel_id, "")
        if platform:
            channel = f"{channel} · {escape(platform)}"
        overdue = due is not None and due < now
        assignee = users.get(assignee_id, "")
        extra = ""
        if assignee or due:
            extra = (f"<small><span>{assignee}</span>"
                     + (f'<span class="due">{due_label} {_short(due, tz)}</span>' if due else "") + "</small>")
        html = (f'<li class="card{" overdue" if overdue else ""}" id="incident-{ident}" data-id="{ident}" '
                f'data-version="{version}"><a href="{href}{ident}"><b>{topics.get(topic_id) or no_topic}'
                f'{f" <em>{urgent_label}</em>" if urgent else ""}</b><p>{escape(excerpt(text, limit))}</p>'
                f'<small><span>{channel}</span><time title="{_short(received_at, tz)}">{age}</time></small>'
                f"{extra}</a></li>")
        yield department_id, status, overdue, html


def board_cells(db_session, user, filters: Filters, ctx: CardContext, solved_window_hours: int):
    """Cards grouped as {department_id: {status: [card, ...]}}, ordered within each column; one statement."""
    cutoff = ctx.now - timedelta(hours=solved_window_hours)
    open_cards = apply_filters(scope(select(*CARD_COLUMNS).where(Incident.status.in_(OPEN_STATUSES)), user),
                               filters)
    solved_cards = apply_filters(scope(select(*CARD_COLUMNS).where(
        Incident.status == RESOLVED, Incident.resolved_at >= cutoff), user), filters)
    both = union_all(open_cards, solved_cards).subquery()
    stmt = select(both).order_by(both.c.position, both.c.received_at.desc(), both.c.id.desc())
    cells: dict = {}
    overdue_by_lane: dict = {}
    for department_id, status, overdue, html in render_cards(db_session, stmt, ctx):
        lane = cells.get(department_id)
        if lane is None:
            lane = cells[department_id] = {}
            overdue_by_lane[department_id] = 0
        column = lane.get(status)
        if column is None:
            column = lane[status] = []
        column.append(html)
        if overdue:
            overdue_by_lane[department_id] += 1
    for lane in cells.values():
        for status, column in lane.items():
            lane[status] = Column(Markup("".join(column)), len(column))
    return cells, overdue_by_lane


@dataclass
class Column:
    """One column of one lane: its cards' markup, joined, and how many there are."""

    html: Markup
    count: int



def lanes(cells: dict, overdue_by_lane: dict, lookups, filters: Filters, user) -> list[dict]:
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
        lane["counts"] = {s: lane["cells"][s].count if s in lane["cells"] else 0 for s in BOARD_COLUMNS}
        lane["open"] = sum(n for s, n in lane["counts"].items() if s != RESOLVED)
        lane["overdue"] = overdue_by_lane.get(lane["id"], 0)
    return result
