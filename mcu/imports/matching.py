"""Matching an import's names (channel, topic, department, status) with the reference: exactly, after normalising
case, ё and spaces, plus a short table of known synonyms; never a fuzzy guess that could book one channel as
another. What matches nothing is tallied while the file is read (distinct values with their row counts, bounded)
so that the preview can ask the operator what each one is (docs/feeds.md, «Import»)."""
from dataclasses import dataclass

from flask_babel import gettext as _

from ..extensions import db
from ..models import Channel, Department, Topic
from ..text import search_key
from ..workflow import ANSWERED, IN_PROGRESS, INTERIM, NEW, REJECTED, RESOLVED, RETURNED, STATUS_NAMES
from .table import TableError, number

FIELDS = ("channel", "topic", "department", "status")
FIELD_TITLES = {"channel": "Канал", "topic": "Тематика", "department": "Подразделение", "status": "Статус"}
MEMO_SIZE = 2000  # spellings of a column remembered while a file is read (each at most NAME_CHARS long)
NAME_CHARS = 200  # the longest name a channel, topic or department may have (their columns)

# Known other spellings, in normal form (normal()), of the reference's values: a channel's code, a topic's or a
# department's name, a status code. Only whole values: «Паблики Хабаровска» is not «паблики».
SYNONYMS = {
    "channel": {"им": "im", "цур": "im", "инцидент менеджмент": "im", "инцидент-менеджмент": "im",
                "инцидентменеджмент": "im", "паблики": "public", "паблик": "public", "сообщения в пабликах": "public",
                "самопоиск": "self_search", "open 311": "open311", "ручной": "manual"},
    "topic": {"транспорт": "Общественный транспорт", "мусор": "Несанкционированные свалки и мусор",
              "свалки": "Несанкционированные свалки и мусор", "животные": "Безнадзорные животные",
              "освещение": "Уличное освещение", "ливневки": "Ливневая канализация"},
    "department": {},
    "status": {"новый": NEW, "новая": NEW, "поступило": NEW, "в работе": IN_PROGRESS, "промежуточный": INTERIM,
               "возвращено": RETURNED, "дан ответ": ANSWERED, "ответ": ANSWERED, "отвечено": ANSWERED,
               "решен": RESOLVED, "закрыто": RESOLVED, "закрыт": RESOLVED, "выполнено": RESOLVED,
               "отклонен": REJECTED},
}


def normal(value) -> str:
    """A name in comparison form: case-folded, ё as е, inner spaces single, outer ones gone."""
    return search_key(str(value or ""))


@dataclass
class Reference:
    """The values an import's names may match, each by its normal form: channel codes, topic and department
    names, status codes; and the choices a preview offers for each field, as (key, label)."""

    known: dict  # field -> {normal form -> target}
    options: dict  # field -> [(key, label)]: channel code, topic id, department id, status code

    @classmethod
    def load(cls) -> "Reference":
        """Three small statements (the reference tables), whatever the file."""
        channels = db.session.execute(db.select(Channel.code, Channel.name).order_by(Channel.position)).all()
        topics = db.session.execute(db.select(Topic.id, Topic.name).order_by(Topic.name)).all()
        departments = db.session.execute(db.select(Department.id, Department.name, Department.short_name)
                                         .order_by(Department.position, Department.name)).all()
        known = {field: {} for field in FIELDS}
        for code, name in channels:
            known["channel"].update({normal(name): code, normal(code): code})
        for _ident, name in topics:
            known["topic"][normal(name)] = name
        for _ident, name, short in departments:
            known["department"][normal(name)] = name
            known["department"].setdefault(normal(short), name)
        for code, name in STATUS_NAMES.items():
            known["status"].update({normal(str(name)): code, normal(code): code})
        targets = {field: set(values.values()) for field, values in known.items()}
        for field, synonyms in SYNONYMS.items():
            for spelling, target in synonyms.items():
                if target in targets[field]:  # an admin may have renamed or removed it
                    known[field].setdefault(normal(spelling), target)
        options = {"channel": [(code, name) for code, name in channels],
                   "topic": [(str(ident), name) for ident, name in topics],
                   "department": [(str(ident), name) for ident, name, _short in departments],
                   "status": [(code, str(name)) for code, name in STATUS_NAMES.items()]}
        return cls(known, options)

    def match(self, field: str, value: str | None) -> str | None:
        """The reference's value this name means, or None."""
        return self.known[field].get(normal(value)) if value else None

    def target(self, field: str, key: str) -> str | None:
        """What an option's key stands for as ingestion takes it (a channel code, a topic or department name, a
        status code), or None when there is no such option."""
        for option, label in self.options[field]:
            if option == key:
                return key if field in ("channel", "status") else label
        return None


class Tally:
    """The names of one file that match nothing, counted while it is read: {field: {normal form: [as first
    written, rows]}}, at most `limit` distinct ones a field (a larger number is no export to map by hand)."""

    def __init__(self, reference: Reference, limit: int):
        self.reference, self.limit = reference, limit
        self.found = {field: {} for field in FIELDS}
        self.memo = {field: {} for field in FIELDS}  # a cell as written -> its normal form, "" when known

    def add(self, record) -> str | None:
        """Count the record's unknown names; a Russian row error for a name too long to be one."""
        for field in FIELDS:
            value = getattr(record, field)
            if not value:
                continue
            memo = self.memo[field]
            key = memo.get(value)
            if key is None:
                if len(value) > NAME_CHARS:
                    return _("«%(field)s»: значение длиннее %(n)d символов", field=FIELD_TITLES[field],
                             n=NAME_CHARS)
                key = "" if self.reference.match(field, value) is not None else normal(value)
                if len(memo) < MEMO_SIZE:  # exports repeat a few spellings; a hostile file cannot grow it
                    memo[value] = key
            if not key:
                continue
            seen = self.found[field]
            if key in seen:
                seen[key][1] += 1
            elif len(seen) >= self.limit:
                raise TableError(_("В столбце «%(field)s» больше %(n)s разных значений, которых нет в справочнике: "
                                   "такой файл не сопоставить вручную. Проверьте, тот ли столбец назван "
                                   "«%(field)s», или разделите файл на части.", field=FIELD_TITLES[field],
                                   n=number(self.limit)))
            else:
                seen[key] = [" ".join(value.split()), 1]
        return None

    def result(self) -> dict:
        """{field: [[name, rows], ...]} for the fields with unknown names, the most frequent first."""
        return {field: sorted(seen.values(), key=lambda item: (-item[1], item[0]))
                for field, seen in self.found.items() if seen}
