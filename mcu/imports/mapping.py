"""What the operator decided for each name the reference does not know (map it to an existing value, create it,
or skip its rows), read from the preview's form or the command's options and checked here, never trusted; then
applied to the records before ingestion stores them, with the import's rule «history is history»: a row answered
before the board's solved window lands answered and off the board (docs/feeds.md, «Import»)."""
import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import Channel, Department, Topic
from ..workflow import ANSWERED, OPEN_STATUSES
from .matching import FIELD_TITLES, FIELDS, MEMO_SIZE, Reference, normal

SKIP, NEW_VALUE, TO = "skip", "new", "to:"
CREATABLE = ("channel", "topic", "department")  # a status is the workflow's: never made up by a file
CHANNEL_IN_IM_WORD = "инцидент"  # a channel created with this word in its name is inside Инцидент-менеджмент


def form_name(field_name: str, index: int) -> str:
    """The preview's select for the index-th unknown name of a field (names are the file's: never in markup keys)."""
    return f"map-{field_name}-{index}"


def read_form(unmatched: dict, form, reference: Reference) -> tuple[dict, list[str]]:
    """The choices of the preview's selects, as {field: {normal form: choice}}, and the Russian reasons the form
    cannot be taken (a choice missing, or one no select offered: a tampered form)."""
    choices, errors = {}, []
    for field_name, names in unmatched.items():
        if field_name not in FIELDS:
            continue
        for index, (name, _rows) in enumerate(names):
            raw = (form.get(form_name(field_name, index)) or "").strip()
            if not raw:
                errors.append(_("Выберите, что делать со значением «%(name)s» (%(field)s).", name=name,
                                field=FIELD_TITLES[field_name]))
            elif not allowed(field_name, raw, reference):
                errors.append(_("Для значения «%(name)s» (%(field)s) выбран вариант, которого нет в списке. "
                                "Обновите страницу и выберите снова.", name=name, field=FIELD_TITLES[field_name]))
            else:
                choices.setdefault(field_name, {})[normal(name)] = raw
    return choices, errors


def allowed(field_name: str, choice: str, reference: Reference) -> bool:
    """Whether a choice is one the preview offers for this field."""
    if choice == SKIP:
        return True
    if choice == NEW_VALUE:
        return field_name in CREATABLE
    return choice.startswith(TO) and reference.target(field_name, choice[len(TO):]) is not None


def read_option(field_name: str, option: str, reference: Reference) -> tuple[str, str]:
    """One command-line mapping «Имя=значение» (value: an existing name, «new» or «skip») as (normal form, choice);
    a ValueError in Russian when it cannot be taken."""
    name, sep, value = option.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise ValueError(_("Сопоставление «%(o)s» не в виде «Имя=значение».", o=option))
    value = value.strip()
    if value.casefold() in (SKIP, NEW_VALUE):
        if value.casefold() == NEW_VALUE and field_name not in CREATABLE:
            raise ValueError(_("Новый статус создать нельзя: укажите существующий статус или skip (%(o)s).",
                               o=option))
        return normal(name), value.casefold()
    target = reference.match(field_name, value)
    if target is None:
        raise ValueError(_("«%(v)s»: такого значения поля «%(field)s» нет в справочнике (%(o)s).", v=value,
                           field=FIELD_TITLES[field_name], o=option))
    key = next(k for k, label in reference.options[field_name]
               if (label if field_name in ("topic", "department") else k) == target)
    return normal(name), TO + key


@dataclass
class Mapper:
    """The choices turned into what ingestion takes, once per store: names to create are created first."""

    reference: Reference
    decided: dict  # field -> {normal form: target, or SKIP}
    answered_before: datetime  # rows answered before this moment land answered (history is history)
    created: list = field(default_factory=list)  # [field, name, note] made by this import
    memo: dict = field(default_factory=dict)  # field -> {a cell as written: its target}, at most MEMO_SIZE each

    @classmethod
    def prepare(cls, unmatched: dict, choices: dict, now: datetime) -> "Mapper":
        """Create the values chosen as new (a value made meanwhile, or by an earlier try, is reused) and resolve
        every choice to its target; committed before any record is stored."""
        reference = Reference.load()
        shown = {f: {normal(name): name for name, _rows in names} for f, names in unmatched.items()}
        created, decided = [], {f: {} for f in FIELDS}
        for field_name, picked in choices.items():
            for key, choice in picked.items():
                if choice == SKIP:
                    decided[field_name][key] = SKIP
                elif choice == NEW_VALUE and field_name in CREATABLE and key in shown.get(field_name, {}):
                    existing = reference.match(field_name, key)
                    decided[field_name][key] = existing or _create(field_name, shown[field_name][key], created)
                elif choice.startswith(TO) and (target := reference.target(field_name, choice[len(TO):])):
                    decided[field_name][key] = target
        db.session.commit()
        window = timedelta(hours=current_app.config["SOLVED_WINDOW_HOURS"])
        return cls(Reference.load() if created else reference, decided, now - window, created)

    def apply(self, records: list) -> tuple[list, int, list[tuple[str, str]]]:
        """(the records as ingestion should store them, how many were skipped by choice, row errors as (id,
        Russian reason) for names nobody decided on)."""
        kept, skipped, errors = [], 0, []
        for rec in records:
            values, skip, error = {}, False, None
            for field_name in FIELDS:
                value = getattr(rec, field_name)
                if not value:
                    continue
                memo = self.memo.setdefault(field_name, {})
                target = memo.get(value)
                if target is None:
                    target = self.decided[field_name].get(normal(value)) or self.reference.match(field_name, value)
                    if len(memo) < MEMO_SIZE:
                        memo[value] = target
                if target == SKIP:
                    skip = True
                    break
                if target is None:
                    error = _("«%(field)s»: значения «%(v)s» нет в справочнике, и при загрузке не выбрано, что с ним "
                              "делать", field=FIELD_TITLES[field_name], v=value[:80])
                    break
                values[field_name] = target
            if skip:
                skipped += 1
            elif error:
                errors.append((rec.external_id, error))
            else:
                kept.append(self._history(replace(rec, **values)))
        return kept, skipped, errors

    def _history(self, rec):
        """A row answered before the solved window is history: it lands answered (so off the board, counted in
        reports), whatever open status the export gave it."""
        if rec.answered_at is not None and rec.answered_at < self.answered_before and (
                rec.status is None or rec.status in OPEN_STATUSES):
            return replace(rec, status=ANSWERED)
        return rec


def _create(field_name: str, name: str, created: list) -> str:
    """A channel, topic or department named as the file names it; its target as ingestion takes it."""
    name = name[:200]
    if field_name == "channel":
        inside = CHANNEL_IN_IM_WORD in normal(name)
        code = "imp-" + hashlib.blake2b(normal(name).encode(), digest_size=8).hexdigest()
        if db.session.scalar(db.select(Channel.id).where(Channel.code == code)) is not None:  # renamed since
            code = f"{code}-{secrets.token_hex(4)}"
        db.session.add(Channel(code=code, name=name, in_incident_management=inside, position=_next(Channel)))
        created.append(["channel", name, _("в Инцидент-менеджменте") if inside else _("вне Инцидент-менеджмента")])
        db.session.flush()
        return code
    if field_name == "topic":
        db.session.add(Topic(name=name, department_id=None))
        created.append(["topic", name, _("без подразделения: не распределяется, пока администратор не назначит")])
    else:
        db.session.add(Department(name=name, short_name=name[:60], position=_next(Department)))
        created.append(["department", name, _("новая полоса на доске")])
    db.session.flush()
    return name


def _next(model) -> int:
    return (db.session.scalar(db.select(db.func.max(model.position))) or 0) + 1


def created_lines(created: list) -> list[str]:
    """What an import created, in words: «канал «Паблики Хабаровска» (вне Инцидент-менеджмента)»."""
    kinds = {"channel": _("канал"), "topic": _("тематика"), "department": _("подразделение")}
    return [f"{kinds[kind]} «{name}» ({note})" for kind, name, note in created]
