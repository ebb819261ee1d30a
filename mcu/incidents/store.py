"""How the incident verbs read and write: load within reach, the one atomic write, conflicts, the commit.

Every verb in ``mcu.incidents.verbs`` changes an incident through ``write`` (``UPDATE ... WHERE version``),
records history and ends with ``finish`` (board version bumped, one commit), so no change is lost and no
two writers both win. Nothing here knows of ``request``.
"""
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..access import reaches
from ..extensions import WRITE_ATTEMPTS, db, stale_snapshot
from ..lanes import bump
from ..models import Department, Event, FormUse, Incident, utcnow

TEXT_LIMIT = 5000


class ActionError(Exception):
    """A refused change, with the Russian notice a user reads and the HTTP status it maps to."""

    status = 400

    def __init__(self, notice: str, incident: Incident | None = None, field_name: str | None = None):
        super().__init__(notice)
        self.notice = notice
        self.incident = incident
        self.field_name = field_name


class Forbidden(ActionError):
    status = 403


class NotFound(ActionError):
    status = 404


class Repeat(ActionError):
    """The same form was already carried out (its one-time token is used): nothing more was written; the
    person sees the result of the first submission, not an error."""

    status = 200

    def __init__(self, incident_id: int | None):
        super().__init__(_("Это уже сделано: повторная отправка той же формы ничего не повторяет."))
        self.incident_id = incident_id


class Conflict(ActionError):
    """Someone changed the card since the user saw it: nothing was written."""

    status = 409

    def __init__(self, notice, incident, last_event: Event | None):
        super().__init__(notice, incident)
        self.last_event = last_event


@dataclass
class Outcome:
    """A carried-out change: the incident as it is now and the cells (lane, status) it touched."""

    incident: Incident
    cells: set = field(default_factory=set)
    noop: bool = False
    lanes: dict = field(default_factory=dict)  # {lane key: version after the change}


def _fresh(incident_id: int) -> Incident | None:
    return db.session.execute(select(Incident).where(Incident.id == incident_id)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def load(incident_id: int, user) -> Incident:
    """The incident as the database has it now, if the user may reach it; else NotFound (never disclosed)."""
    incident = _fresh(incident_id)
    if incident is None or not reaches(user, incident):
        raise NotFound(_("Такого сообщения нет или оно вам недоступно."))
    return incident


def load_any(incident_id: int) -> Incident:
    """The incident whoever asks (for following duplicates to their root and showing a conflict)."""
    incident = _fresh(incident_id)
    if incident is None:
        raise NotFound(_("Такого сообщения нет или оно вам недоступно."))
    return incident


def last_event(incident_id: int) -> Event | None:
    """The newest history line: who changed the card last."""
    return db.session.scalars(select(Event).where(Event.incident_id == incident_id)
                              .order_by(Event.id.desc()).limit(1)).first()


def conflict(incident: Incident) -> Conflict:
    """The refusal for a stale version: the card as it is now and who changed it."""
    event = last_event(incident.id)
    who = event.user.name if event is not None and event.user is not None else _("система")
    return Conflict(_("Карточку №%(id)d уже изменил(а) %(who)s: показано её текущее состояние, ваше действие "
                      "не применено.", id=incident.id, who=who), incident, event)


def has_visible(value: str) -> bool:
    """True when the text holds a letter, digit, punctuation or symbol: zero-width and other invisible
    characters alone are no text."""
    return any(unicodedata.category(ch)[0] in "LNPS" for ch in value)


def clean_text(value: str | None) -> str:
    """Typed text as stored: outer spaces dropped, cut at the limit; only invisible characters count as empty."""
    value = (value or "").strip()[:TEXT_LIMIT]
    return value if has_visible(value) else ""


def department_name(department_id) -> str:
    """A lane's short name for history lines."""
    if department_id is None:
        return str(_("Не распределено"))
    department = db.session.get(Department, department_id)
    return department.short_name if department else str(department_id)


BATCH = "mcu_batch"  # session flag: verbs flush instead of committing, the batch commits (or rolls back) once
BATCH_LANES = "mcu_batch_lanes"  # the lanes the batch's verbs touched, stepped once when it ends


def in_batch() -> bool:
    """True while verbs run as parts of one bulk action (``batch``)."""
    return bool(db.session.info.get(BATCH))


def retrying(fn):
    """Run a verb, retrying when SQLite refuses a write on a stale read snapshot (another writer won); within a
    batch the whole batch retries instead (a retry of one verb would lose the others' rolled-back writes)."""
    def wrapper(*args, **kwargs):
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if in_batch():
                    raise
                db.session.rollback()
                if not stale_snapshot(exc) or attempt == WRITE_ATTEMPTS - 1:
                    raise
        return None
    wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
    return wrapper


def is_repeat(incident: Incident, expected_version, user, same_target: bool) -> bool:
    """False when the user saw the current version; True when this is a repeat of the user's own change just
    applied (a double submit); a Conflict otherwise."""
    if expected_version is None or int(expected_version) == incident.version:
        return False
    event = last_event(incident.id)
    if (same_target and incident.version == int(expected_version) + 1 and event is not None
            and event.user_id == user.id):
        return True
    raise conflict(incident)


def write(incident: Incident, values: dict) -> None:
    """The one write of an incident's fields: applied only while its version is still the one loaded (the
    version steps by one), else nothing is written and the caller gets a Conflict."""
    values = dict(values, version=Incident.version + 1, updated_at=utcnow())
    result = db.session.execute(update(Incident).where(Incident.id == incident.id,
                                                       Incident.version == incident.version)
                                .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise conflict(load_any(incident.id))


def used_once(token: str | None, user) -> FormUse | None:
    """The earlier submission of this one-time form token by this user, if there was one."""
    if not token:
        return None
    found = db.session.get(FormUse, token[:64])
    return found if found is not None and found.user_id == user.id else None


def commit(user, once: str | None, incident_id: int | None) -> None:
    """Commit the change, and with it the form's one-time token: a second submission of the same form fails on
    the token in the database (whichever process serves it) and becomes a Repeat, with nothing written. Within a
    batch it only flushes: the batch commits every card's change at once."""
    if in_batch():
        db.session.flush()
        return
    if once:
        db.session.add(FormUse(token=once[:64], user_id=user.id, incident_id=incident_id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if once and used_once(once, user) is not None:
            raise Repeat(incident_id) from None
        raise


def finish(incident_id: int, cells: set, user, once: str | None = None) -> Outcome:
    """Step the versions of the lanes the change touched and commit it with its history (and the form's one-time
    token); the incident as stored now."""
    if in_batch():  # the batch steps every lane once at its end; the card is not read back (nobody shows it)
        db.session.info.setdefault(BATCH_LANES, set()).update(department for department, _status in cells)
        db.session.flush()
        return Outcome(None, cells)
    lanes = bump(department for department, _status in cells)
    commit(user, once, incident_id)
    return Outcome(_fresh(incident_id), cells, lanes=lanes)


@contextmanager
def batch(user, once: str | None):
    """Run several verbs as one transaction: all of them are committed (with the form's one-time token and each
    touched lane's version stepped once) or, when any one refuses, none. Yields a dict that gets the lanes'
    versions after the commit."""
    db.session.info[BATCH] = True
    db.session.info[BATCH_LANES] = set()
    lanes: dict = {}
    try:
        yield lanes
    except BaseException:
        _end_batch()
        db.session.rollback()
        raise
    touched = _end_batch()
    lanes.update(bump(touched))
    commit(user, once, None)


def _end_batch() -> set:
    db.session.info.pop(BATCH, None)
    return db.session.info.pop(BATCH_LANES, set())
