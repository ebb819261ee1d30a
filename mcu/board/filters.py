"""Board filters from the query string: department, topic, channel, free text, deadline and «Мои», validated."""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from ..lanes import UNROUTED_KEY
from ..search import parse as parse_query
from ..web import whole_number

UNROUTED = UNROUTED_KEY  # the department filter value for the «Не распределено» lane
OVERDUE, DUE_TODAY = "overdue", "today"  # the deadline filter's values: «Просрочено», «Срок сегодня»
DEADLINES = (OVERDUE, DUE_TODAY)
MINE = "1"  # the «Мои» filter's value
LEGACY_UNROUTED = "none"  # how bookmarks made before the glossary name it
MAX_QUERY = 200


@dataclass
class Filters:
    """What the user asked to see; values that could not be understood are dropped with a message."""

    department: int | str | None = None
    topic: int | None = None
    channel: str | None = None
    channel_id: int | None = None
    q: str = ""
    deadline: str | None = None
    mine: bool = False
    unassigned: bool = False  # «Без исполнителя»
    errors: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any((self.department, self.topic, self.channel, self.q, self.deadline, self.mine, self.unassigned))

    def args(self, **override) -> dict:
        """The filters as URL arguments, for links that keep them."""
        values = {"department": self.department, "topic": self.topic, "channel": self.channel,
                  "q": self.q or None, "deadline": self.deadline, "mine": MINE if self.mine else None,
                  "unassigned": MINE if self.unassigned else None}
        values.update(override)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _one(args, name: str) -> str:
    values = args.getlist(name)
    return values[-1].strip() if values else ""


def parse(args, departments: dict, topics: dict, channels_by_code: dict) -> Filters:
    """Read and check the filters against the known departments, topics and channels."""
    f = Filters()
    raw = _one(args, "department")
    if raw in (UNROUTED, LEGACY_UNROUTED):
        f.department = UNROUTED
    elif raw:
        if whole_number(raw) in departments:
            f.department = whole_number(raw)
        else:
            f.errors.append(_("Подразделение «%(value)s» не найдено, фильтр не применён.", value=raw[:60]))
    raw = _one(args, "topic")
    if raw:
        if whole_number(raw) in topics:
            f.topic = whole_number(raw)
        else:
            f.errors.append(_("Тематика «%(value)s» не найдена, фильтр не применён.", value=raw[:60]))
    raw = _one(args, "channel")
    if raw:
        if raw in channels_by_code:
            f.channel = raw
            f.channel_id = channels_by_code[raw].id
        else:
            f.errors.append(_("Канал «%(value)s» не найден, фильтр не применён.", value=raw[:60]))
    raw = _one(args, "deadline")
    if raw in DEADLINES:
        f.deadline = raw
    elif raw:
        f.errors.append(_("Срок «%(value)s» не найден, фильтр не применён.", value=raw[:60]))
    raw = _one(args, "mine")
    if raw == MINE:
        f.mine = True
    elif raw:
        f.errors.append(_("Фильтр «Мои» понимает только «%(one)s», а не «%(value)s»: не применён.", one=MINE,
                          value=raw[:60]))
    raw = _one(args, "unassigned")
    if raw == MINE:
        f.unassigned = True
    elif raw:
        f.errors.append(_("Фильтр «Без исполнителя» понимает только «%(one)s», а не «%(value)s»: не применён.",
                          one=MINE, value=raw[:60]))
    q = _one(args, "q")
    if len(q) > MAX_QUERY:
        f.errors.append(_("Строка поиска длиннее %(n)d символов и обрезана.", n=MAX_QUERY))
        q = q[:MAX_QUERY]
    f.q = q
    f.errors.extend(parse_query(q).notices)
    return f
