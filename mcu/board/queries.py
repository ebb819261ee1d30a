"""The board's hot path: which cards to show and how they group, in a fixed number of statements."""
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
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
    raw = lambda col: type_coerce(col, String)
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
    return value.replace(tzinfo=UTC)


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
                    "due": escape(_("до")), "move": escape(_("Переместить")), "now": _("сейчас"), "min": _("%(n)d мин"),
                    "hours": _("%(n)d ч"), "days": _("%(n)d д")})


def shown_due(status, first_due, resolve_due):
    """The deadline a card shows: the first answer until one is given, the resolution after an interim one."""
    return _utc(resolve_due if status == INTERIM else (None if status in (ANSWERED, RESOLVED) else first_due))


def _parts(ctx: CardContext, ident, status, topic_id, channel_id, platform, text, received_at, assignee_id,
           due, urgent, version) -> tuple[str, str]:
    """A card's markup around its age, the only part that changes while the card itself does not.

    The board is the hottest path (2,000 cards within 60 ms), so a card is one format string here
    rather than a Jinja macro, which spends ~30 µs per card on escaping and lookups. Every text from a
    feed or a user passes through ``html.escape``; names were escaped once in the context.
    """
    words = ctx.words
    channel = ctx.channels.get(channel_id, "")
    if platform:
        channel = f"{channel} · {escape(platform)}"
    assignee = ctx.users.get(assignee_id, "")
    extra = ""
    if assignee or due:
        extra = (f"<small><span>{assignee}</span>"
                 + (f'<span class="due">{words["due"]} {_short(due, ctx.tz)}</span>' if due else "") + "</small>")
    urgent_mark = f" <em>{words['urgent']}</em>" if urgent else ""
    head = (f' id="incident-{ident}" data-id="{ident}" data-version="{version}"><a href="{ctx.href}{ident}">'
            f'<b>{ctx.topics.get(topic_id) or words["no_topic"]}{urgent_mark}'
            f'</b><p>{escape(excerpt(text, ctx.text_chars))}</p><small><span>{channel}</span>'
            f'<time title="{_short(received_at, ctx.tz)}">')
    return head, (f'</time></small>{extra}</a><button type="button" class="card-move" '
                  f'aria-label="{words["move"]} №{ident}" aria-haspopup="dialog">⋯</button></li>')


def _age(ctx: CardContext, received_at: datetime) -> str:
    words = ctx.words
    seconds = (ctx.now - received_at).total_seconds()
    if seconds < 60:
        return words["now"]
    if seconds < 3600:
        return words["min"] % {"n": seconds // 60}
    if seconds < 86400:
        return words["hours"] % {"n": seconds // 3600}
    return words["days"] % {"n": seconds // 86400}


_raw = lambda col: type_coerce(col, String)
BOARD_COLUMNS_LIGHT = (Incident.id, Incident.version, Incident.status, Incident.department_id,
                       _raw(Incident.received_at), _raw(Incident.first_answer_due), _raw(Incident.resolve_due),
                       Incident.position)


class CardCache:
    """Card markup by (id, version, received time), per process: an unchanged card is not re-rendered.

    Safe with many processes because the key is the version from the database, which every change
    bumps; cleared whenever any topic, channel or person name changes, and when it grows too big.
    """

    LIMIT = 20_000

    def __init__(self):
        self.parts: dict = {}
        self.fingerprint = None

    def check(self, ctx: CardContext) -> None:
        fingerprint = hash((tuple(ctx.topics.items()), tuple(ctx.channels.items()), tuple(ctx.users.items()),
                            ctx.href, ctx.text_chars, str(ctx.tz), tuple(ctx.words.items())))
        if fingerprint != self.fingerprint or len(self.parts) > self.LIMIT:
            self.parts = {}
            self.fingerprint = fingerprint


def cached_cards(connection, light_stmt, ctx: CardContext, cache: CardCache):
    """Run a statement over BOARD_COLUMNS_LIGHT; yield (department_id, status, overdue, card html) in its order.

    Cards the cache does not hold yet (none on an unchanged board) are built from one more statement
    that fetches their text by id; the age and the overdue mark are filled in on every render.
    """
    rows = connection.execute(light_stmt).all()
    cache.check(ctx)
    parts = cache.parts
    missing = [row[0] for row in rows if (row[0], row[1], row[4]) not in parts]
    if missing:
        for (ident, status, _department, topic_id, channel_id, platform, text, received_at, assignee_id,
             first_due, resolve_due, urgent, version, _position) in connection.execute(
                select(*CARD_COLUMNS).where(Incident.id.in_(missing))).all():
            parts[(ident, version, received_at)] = _parts(
                ctx, ident, status, topic_id, channel_id, platform, text, _utc(received_at), assignee_id,
                shown_due(status, first_due, resolve_due), urgent, version)
    now = ctx.now
    for ident, version, status, department_id, received_at, first_due, resolve_due, _position in rows:
        head, tail = parts[(ident, version, received_at)]
        due = shown_due(status, first_due, resolve_due)
        overdue = due is not None and due < now
        yield (department_id, status, overdue,
               f'<li class="card{" overdue" if overdue else ""}"{head}{_age(ctx, _utc(received_at))}{tail}')


def board_cells(db_session, user, filters: Filters, ctx: CardContext, solved_window_hours: int,
                cache: CardCache):
    """Cards grouped as {department_id: {status: Column}}, ordered within each column.

    At most two statements whatever the number of cards (see ``cached_cards``).
    """
    cutoff = ctx.now - timedelta(hours=solved_window_hours)
    open_cards = apply_filters(scope(select(*BOARD_COLUMNS_LIGHT).where(Incident.status.in_(OPEN_STATUSES)),
                                     user), filters)
    solved_cards = apply_filters(scope(select(*BOARD_COLUMNS_LIGHT).where(
        Incident.status == RESOLVED, Incident.resolved_at >= cutoff), user), filters)
    both = union_all(open_cards, solved_cards).subquery()
    stmt = select(both).order_by(both.c.position, both.c.received_at.desc(), both.c.id.desc())
    cells: dict = {}
    overdue_by_lane: dict = {}
    for department_id, status, overdue, html in cached_cards(db_session.connection(), stmt, ctx, cache):
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
    if None in cells or show_all or filters.department == UNROUTED:
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
