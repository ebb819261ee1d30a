"""Who is behind an open screen's poll, without a database round trip (docs/live.md «Something changed, and who is asking»).

With 20 people at work, nearly every poll of a city board finds a changed lane, and loading the person for it
was a quarter of the request threads' time on PostgreSQL (a round trip, the pool's ping and the rollback after
it). The poll needs only what a person is: id, role, department and name. This process keeps that per signed-in
identity (user id and session nonce) for as long as no person changed: every change of a ``User`` row steps the
``@people`` row of ``lane_state`` in the same transaction (a flush hook, so no writer can forget it), and the
poll reads that version with the lane versions it holds anyway (``LANE_VERSION_TTL``, 0.5 s). A person switched
off, moved or given another role is seen as such by the next poll after that.
"""
import secrets
import threading
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db, process_cached
from ..lanes import PEOPLE_KEY, held_versions, step
from ..models import User

PEOPLE_HELD = 4096  # identities kept per process (more than a city's people; past it the copy starts over)


def load_user(identity: str) -> User | None:
    """The active user behind a session's identity (``id:nonce``), if the nonce still matches (Flask-Login's
    loader, and the poll's when it does not hold the person)."""
    user_id, _sep, nonce = identity.partition(":")
    if not user_id.isdigit() or not nonce:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(user.session_nonce or "", nonce):
        return None
    return user


@dataclass(frozen=True)
class Person:
    """A signed-in user as a poll sees them: read-only, shared by the threads of a process."""

    id: int
    role: str
    department_id: int | None
    name: str

    @classmethod
    def of(cls, user: User) -> "Person":
        return cls(user.id, user.role, user.department_id, user.name)


class People:
    """{session identity: Person} as of a version of ``@people``; a person not held, or held at an older version,
    is loaded with the loader Flask-Login uses (so the nonce and the active flag are checked the same way)."""

    def __init__(self, load=load_user, size: int = PEOPLE_HELD):
        self._load, self._size = load, size
        self._held: dict[str, tuple[int, Person]] = {}
        self._lock = threading.Lock()

    def get(self, identity: str, version: int) -> Person | None:
        """The person behind this identity, or None when it names no active user with that nonce."""
        held = self._held.get(identity)
        if held is not None and held[0] == version:
            return held[1]
        user = self._load(identity)
        if user is None:
            return None
        person = Person.of(user)  # read after ``version`` was: never older than the version it is kept under
        with self._lock:
            if len(self._held) >= self._size:
                self._held.clear()
            self._held[identity] = (version, person)
        return person


def held_people() -> People:
    """This process's copy of who is signed in."""
    return process_cached("mcu_people", People)


def signed_in(identity: str) -> Person | None:
    """The person behind a session's identity, as of the versions this process holds (no database when held)."""
    return held_people().get(identity, held_versions().get().get(PEOPLE_KEY, 0))


@event.listens_for(Session, "before_flush")
def _people_changed(session, _flush_context, _instances):
    """Step ``@people`` in the transaction that changes, adds or removes a user."""
    if any(isinstance(obj, User) for obj in chain(session.new, session.dirty, session.deleted)):
        step(session.connection(), PEOPLE_KEY)
