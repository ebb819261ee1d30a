"""The card renderer and its cache: a card's markup from one row, built once per card version.

The board is the hottest path (2,000 cards within 60 ms), so a card is one format string here rather than
a Jinja macro, which spends ~30 µs per card on escaping and lookups. Every text from a feed or a user
passes through ``html.escape``; names are escaped once per render in the context.
"""
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import String, func, select, type_coerce

from ..models import Incident, as_utc
from ..reference import platform_name
from ..text import excerpt
from ..urgency import CALM, OVERDUE, SOON
from ..workflow import ANSWERED, FIELD_STEPS, INTERIM, RESOLVED


def _raw(column):
    """A datetime column read as the database's text (SQLite's result processor parses datetimes with a regular
    expression, several times slower than ``as_utc``'s ``fromisoformat``)."""
    return type_coerce(column, String)


# What the board lists for every card (both board indexes cover these: an index-only read).
LIGHT_COLUMNS = (Incident.id, Incident.version, Incident.status, Incident.department_id,
                 _raw(Incident.received_at).label("received_at"), _raw(Incident.first_answer_due).label("first_answer_due"),
                 _raw(Incident.resolve_due).label("resolve_due"), Incident.position, Incident.urgency,
                 _raw(Incident.escalated_due).label("escalated_due"))
# What a card's markup needs, read only for cards the cache does not hold yet.
CARD_COLUMNS = (Incident.id, Incident.status, Incident.topic_id, Incident.channel_id, Incident.platform,
                func.substr(Incident.text, 1, 400).label("text"), _raw(Incident.received_at), Incident.assignee_id,
                _raw(Incident.first_answer_due), _raw(Incident.resolve_due), Incident.urgent, Incident.version,
                Incident.field_step)  # the field worker's progress step (issue 12)


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

    names_key: str = ""
    signature: str = ""

    @property
    def now_ts(self) -> float:
        """This render's moment in epoch seconds, for the deadlines' arithmetic."""
        return self.now.timestamp()

    def fingerprint(self) -> str:
        """What every card's markup depends on besides its own row: names, words, the zone, the link."""
        return self.signature

    @classmethod
    def build(cls, lookups, now, tz, text_chars, detail_prefix):
        """A context over these lookups. The escaped names, the translated words and the fingerprint are made once
        per lookups read, not per render: every changed poll of every open board builds one."""
        names = lookups.memo.get("card_names")
        if names is None:
            topics = {k: escape(t.name) for k, t in lookups.topics.items()}
            channels = {k: escape(c.name) for k, c in lookups.channels.items()}
            users = {k: escape(u.name) for k, u in lookups.users.items()}
            key = hashlib.blake2b(repr((sorted(topics.items()), sorted(channels.items()),
                                        sorted(users.items()))).encode(), digest_size=12).hexdigest()
            names = lookups.memo["card_names"] = (topics, channels, users, key)
        topics, channels, users, key = names
        href = escape(detail_prefix)
        made = lookups.memo.get(("card_words", href, text_chars, str(tz)))
        if made is None:
            words = {"no_topic": escape(_("Без тематики")), "urgent": escape(_("срочно")),
                     "due": escape(_("до")), "move": escape(_("Действия с сообщением")),
                     "pick": escape(_("Выбрать")), "now": _("сейчас"), "min": _("%(n)d мин"),
                     "hours": _("%(n)d ч"), "days": _("%(n)d д"), **due_words(),
                     "escalated": escape(_("Эскалация"))}
            made = lookups.memo[("card_words", href, text_chars, str(tz))] = (
                words, repr((key, href, text_chars, str(tz), sorted(words.items()))))
        return cls(now, tz, text_chars, href, topics, channels, users, made[0], key, made[1])


def due_words() -> dict:
    """The words of a deadline's time left, for the card renderer and, as JSON, for static/js/deadlines.js."""
    return {"left": _("осталось %(span)s"), "late": _("просрочено на %(span)s"), "under": _("меньше минуты"),
            "now": _("сейчас"),
            "min": _("%(n)d мин"), "hours": _("%(n)d ч"), "days": _("%(n)d д")}


def span_words(seconds: float, words: dict) -> str:
    """A duration as a card says it: «1 д 3 ч», «2 ч 15 мин», «40 мин», «меньше минуты» (whole minutes, cut)."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return words["under"]
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    if days:
        return words["days"] % {"n": days} + (" " + words["hours"] % {"n": hours} if hours else "")
    if hours:
        return words["hours"] % {"n": hours} + (" " + words["min"] % {"n": minutes} if minutes else "")
    return words["min"] % {"n": minutes}


def _parts(ctx: CardContext, ident, status, topic_id, channel_id, platform, text, received_at, assignee_id,
           due, urgent, version, field_step="") -> tuple:
    """A card's markup around its age and its deadline, the parts that change while the card itself does not:
    (head, mid, tail, the deadline in epoch seconds or None, the deadline's moment as markup)."""
    words = ctx.words
    channel = ctx.channels.get(channel_id, "")
    if platform:
        channel = f"{channel} · {escape(platform_name(platform))}"
    assignee = ctx.users.get(assignee_id, "")
    urgent_mark = f" <em>{words['urgent']}</em>" if urgent else ""
    if field_step in FIELD_STEPS:  # the field worker's progress step (issue 12): «Выехал», «На месте», …
        urgent_mark += f' <span class="card-step step-{field_step}">{escape(str(FIELD_STEPS[field_step]))}</span>'
    head = (f' id="incident-{ident}" data-id="{ident}" data-version="{version}"><a href="{ctx.href}{ident}">'
            f'<b>{ctx.topics.get(topic_id) or words["no_topic"]}{urgent_mark}'
            f'</b><p>{escape(excerpt(text, ctx.text_chars))}</p><small><span title="{channel}">{channel}</span>'
            f'<time title="{_short(received_at, ctx.tz)}" data-at="{int(received_at.timestamp())}">')
    mid = "</time></small>" + (f'<small><span class="card-assignee" title="{assignee}">{assignee}</span></small>'
                               if assignee else "")
    tail = (f'</a><button type="button" class="card-move" '
            f'aria-label="{words["move"]} №{ident}" aria-haspopup="dialog">⋯</button>'
            f'<input type="checkbox" class="card-pick" aria-label="{words["pick"]} №{ident}"></li>')
    if due is None:
        return head, mid, tail, None, ""
    return head, mid, tail, int(due.timestamp()), f'<span class="due-at">{words["due"]} {_short(due, ctx.tz)}</span>'



ICONS = {OVERDUE: "⚠", SOON: "◔", CALM: ""}  # beside the colour: the state is never told by colour alone


def _deadline(ctx: CardContext, now_ts: float, due_ts: int, due_at: str, urgency: int, escalated: bool) -> str:
    """The deadline part of a card, as of this render: the time left in words (static/js/deadlines.js keeps them
    current in an open page), the moment, and the escalation mark."""
    words = ctx.words
    icon = ICONS[urgency]
    seconds = due_ts - now_ts
    left = (words["left"] % {"span": span_words(seconds, words)} if seconds > 0
            else words["late"] % {"span": span_words(-seconds, words)})
    mark = f' <strong class="escalated">{words["escalated"]}</strong>' if escalated else ""
    return (f'<small class="due" data-due="{due_ts}">{icon + " " if icon else ""}'
            f'<span class="due-left">{left}</span> {due_at}{mark}</small>')


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
    bumps; emptied when any topic, channel or person name changes. It holds at most ``limit`` cards and
    forgets the least recently shown first, so a board bigger than the cache costs renders, never memory.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: OrderedDict = OrderedDict()
        self.fingerprint = None

    def check(self, ctx: CardContext) -> None:
        fingerprint = hash(ctx.fingerprint())
        if fingerprint != self.fingerprint:
            self.parts = OrderedDict()
            self.fingerprint = fingerprint

    def get(self, key):
        found = self.parts.get(key)
        if found is not None:
            self.parts.move_to_end(key)
        return found

    def put(self, key, value) -> None:
        self.parts[key] = value
        if len(self.parts) > self.limit:
            self.parts.popitem(last=False)


def cached_cards(connection, rows, ctx: CardContext, cache: CardCache, chunk: int = 500) -> list[str]:
    """Each row's card markup (rows carry LIGHT_COLUMNS by name), in the rows' order.

    Cards the cache does not hold yet (none on an unchanged board) are built from statements that fetch
    their text by id, at most ``chunk`` ids a statement; the age and the overdue mark are filled in on every
    render.
    """
    cache.check(ctx)
    found = {}
    missing = []
    for row in rows:
        key = (row.id, row.version, row.received_at)
        parts = cache.get(key)
        if parts is None:
            missing.append(row.id)
        else:
            found[key] = parts
    for start in range(0, len(missing), chunk):
        for (ident, status, topic_id, channel_id, platform, text, received_at, assignee_id,
             first_due, resolve_due, urgent, version, field_step) in connection.execute(
                select(*CARD_COLUMNS).where(Incident.id.in_(missing[start:start + chunk]))).all():
            key = (ident, version, received_at)
            found[key] = _parts(ctx, ident, status, topic_id, channel_id, platform, text, as_utc(received_at),
                                assignee_id, shown_due(status, first_due, resolve_due), urgent, version, field_step)
            cache.put(key, found[key])
    now_ts = ctx.now_ts
    out = []
    for row in rows:
        head, mid, tail, due_ts, due_at = found[(row.id, row.version, row.received_at)]
        deadline, state = "", ""
        if due_ts is not None:  # overdue by the clock; due soon as the sweep stored it
            urgency = OVERDUE if due_ts <= now_ts else (SOON if row.urgency == SOON else CALM)
            state = STATE_CLASSES[urgency]
            escalated = row.escalated_due is not None and row.escalated_due == (
                row.resolve_due if row.status == INTERIM else row.first_answer_due)
            deadline = _deadline(ctx, now_ts, due_ts, due_at, urgency, escalated)
        out.append(f'<li class="card{state}"{head}{_age(ctx, as_utc(row.received_at))}{mid}{deadline}{tail}')
    return out


STATE_CLASSES = {OVERDUE: " overdue", SOON: " due-soon", CALM: ""}
