"""Display tokens: a wall's read-only access without a person (docs/wall.md). The secret is shown once and
kept only as its SHA-256; a wall's every request is checked against a per-process copy of the token table,
read again at most every ``ttl`` seconds, so 500 idle walls cost no statement per poll."""
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Department, DisplayToken, utcnow

log = logging.getLogger(__name__)
NAME_MAX = 80
SECRET_MAX = 200  # a presented secret longer than this is no token of ours (token_urlsafe(32) is 43 characters)
SEEN_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often per token and process


class TokenError(ValueError):
    """A token that cannot be made or revoked as asked, in words for a person."""


@dataclass(frozen=True)
class Access:
    """What a presented token opens: the token's id, its department (None: the whole city), whether revoked."""

    token_id: int
    department_id: int | None
    revoked: bool


def digest(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create(name: str, department_id: int | None = None) -> tuple[DisplayToken, str]:
    """Make a token; returns it and its secret, which is never stored and cannot be shown again."""
    name = " ".join((name or "").split())
    if not name:
        raise TokenError(_("Укажите название стены."))
    if len(name) > NAME_MAX:
        raise TokenError(_("Название длиннее %(n)d символов.", n=NAME_MAX))
    if db.session.scalar(db.select(DisplayToken.id).filter_by(name=name)) is not None:
        raise TokenError(_("Стена «%(name)s» уже есть: выберите другое название.", name=name))
    if department_id is not None and db.session.get(Department, department_id) is None:
        raise TokenError(_("Нет такого подразделения."))
    secret = secrets.token_urlsafe(32)
    token = DisplayToken(name=name, department_id=department_id, token_hash=digest(secret))
    db.session.add(token)
    db.session.commit()
    return token, secret


def revoke(token: DisplayToken) -> bool:
    """Revoke a token (once; the wall stops at its next request). False when it was revoked already."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.commit()
    return True


def by_name(name: str) -> DisplayToken | None:
    return db.session.scalar(db.select(DisplayToken).filter_by(name=" ".join((name or "").split())))


def listed() -> list[DisplayToken]:
    """Every token, working ones first, by name."""
    return db.session.scalars(db.select(DisplayToken).order_by(DisplayToken.revoked_at.is_not(None),
                                                               DisplayToken.name)).all()


class TokenCache:
    """{digest: Access} as this process last read the token table (a few rows: one per wall), read again when older
    than ``ttl`` seconds; and the moments last_seen_at was last written, so a poll writes at most once a minute."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self._at = float("-inf")
        self._values: dict[str, Access] = {}
        self._seen: dict[int, datetime] = {}
        self._lock = threading.Lock()

    def _table(self) -> dict[str, Access]:
        if time.monotonic() - self._at > self.ttl:
            with self._lock:
                if time.monotonic() - self._at > self.ttl:
                    rows = db.session.execute(db.select(DisplayToken.token_hash, DisplayToken.id,
                                                        DisplayToken.department_id, DisplayToken.revoked_at)).all()
                    self._values = {h: Access(i, d, r is not None) for h, i, d, r in rows}
                    self._at = time.monotonic()
        return self._values

    def find(self, secret: str | None) -> Access | None:
        """The access a presented secret gives, or None for a secret that is no token."""
        if not secret or len(secret) > SECRET_MAX:
            return None
        return self._table().get(digest(secret))

    def seen(self, access: Access, now: datetime) -> None:
        """Note that the wall asked (the admin page shows when each wall last did), at most once a minute."""
        last = self._seen.get(access.token_id)
        if last is not None and now - last < SEEN_EVERY:
            return
        self._seen[access.token_id] = now
        try:
            db.session.execute(db.update(DisplayToken).where(DisplayToken.id == access.token_id)
                               .values(last_seen_at=now))
            db.session.commit()
        except SQLAlchemyError:  # a busy or read-only database costs the admin page a minute, never the wall
            db.session.rollback()
            log.warning("display token %s: last_seen_at not written", access.token_id, exc_info=True)
