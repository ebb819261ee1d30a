"""The card renderer and its cache: a card's markup from one row, built once per card version.

The board is the hottest path (2,000 cards within 60 ms), so a card is one format string here rather than
a Jinja macro, which spends ~30 µs per card on escaping and lookups. Every text from a feed or a user
passes through ``html.escape``; names are escaped once per render in the context.
"""
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, func, select, type_coerce

from ..models import Incident, as_utc
from ..text import excerpt
from ..workflow import ANSWERED, INTERIM, RESOLVED


def _raw(column):
    """A datetime column read as the database's text (SQLite's result processor parses datetimes with a regular
    expression, several times slower than ``as_utc``'s ``fromisoformat``)."""
    return type_coerce(column, String)


# What the board lists for every card (both board indexes cover these: an index-only read).
LIGHT_COLUMNS = (Incident.id, Incident.version, Incident.status, Incident.department_id,
                 _raw(Incident.received_at), _raw(Incident.first_answer_due), _raw(Incident.resolve_due),
                 Incident.position)
# What a card's markup needs, read only for cards the cache does not hold yet.
CARD_COLUMNS = (Incident.id, Incident.status, Incident.topic_id, Incident.channel_id, Incident.platform,
                func.substr(Incident.text, 1, 400).label("text"), _raw(Incident.received_at), Incident.assignee_id,
                _raw(Incident.first_answer_due), _raw(Incident.resolve_due), Incident.urgent, Incident.version)


def shown_due(status, first_due, resolve_due):
    """The deadline a card shows: the first answer until one is given, the resolution after an interim one."""
    return as_utc(resolve_due if status == INTERIM else (None if status in (ANSWERED, RESOLVED) else first_due))


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


def _parts(ctx: CardContext, ident, status, topic_id, channel_id, platform, text, received_at, assignee_id,
           due, urgent, version) -> tuple[str, str]:
    """A card's markup around its age, the only part that changes while the card itself does not."""
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
    """Run a statement over LIGHT_COLUMNS; yield (department_id, status, overdue, card html) in its order.

    Cards the cache does not hold yet (none on an unchanged board) are built from one more statement
    that fetches their text by id; the age and the overdue mark are filled in on every render.
    """
    rows = connection.execute(light_stmt).all()
    cache.check(ctx)
    parts = cache.parts
    missing = [row[0] for row in rows if (row[0], row[1], row[4]) not in parts]
    if missing:
        for (ident, status, topic_id, channel_id, platform, text, received_at, assignee_id,
             first_due, resolve_due, urgent, version) in connection.execute(
                select(*CARD_COLUMNS).where(Incident.id.in_(missing))).all():
            parts[(ident, version, received_at)] = _parts(
                ctx, ident, status, topic_id, channel_id, platform, text, as_utc(received_at), assignee_id,
                shown_due(status, first_due, resolve_due), urgent, version)
    now = ctx.now
    for ident, version, status, department_id, received_at, first_due, resolve_due, _position in rows:
        head, tail = parts[(ident, version, received_at)]
        due = shown_due(status, first_due, resolve_due)
        overdue = due is not None and due < now
        yield (department_id, status, overdue,
               f'<li class="card{" overdue" if overdue else ""}"{head}{_age(ctx, as_utc(received_at))}{tail}')
