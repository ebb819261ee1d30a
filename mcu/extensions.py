"""Flask extensions, unbound here and bound to the app in the factory."""
import logging
import sqlite3

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints alike on every database."""


from sqlalchemy import MetaData

Base.metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
# flask-limiter's own logger carries a NullHandler, which would silence its "falling back to memory" warning
limiter.logger = logging.getLogger("mcu.limits")

WRITE_ATTEMPTS = 4  # a write refused on a stale SQLite snapshot is run again, at most this many times in all


REFUSED_WRITES = (OperationalError, sqlite3.OperationalError)  # the second from statements on the raw connection


def stale_snapshot(exc: Exception) -> bool:
    """True when SQLite refused a write because another writer committed since this transaction first read (a
    read transaction cannot become a writer then, and SQLite says so at once, without its busy wait): the
    transaction, rolled back, can simply run again."""
    return isinstance(exc, REFUSED_WRITES) and "locked" in str(exc)


PROCESS_CACHE_PREFIX = "mcu_"  # app.extensions keys of the per-process objects made on first use


def process_cached(name: str, make):
    """A per-process object (a cache, the asset version) kept in the app's extensions, made on first use with the
    settings read then; ``forget_process_caches`` drops them all, so the next use reads the settings anew."""
    held = current_app.extensions.get(name)
    if held is None:
        held = current_app.extensions[name] = make()
    return held


def forget_process_caches(app) -> None:
    """Drop every per-process object (as a restarted process would have none): tests start each from nothing."""
    for name in [n for n in app.extensions if n.startswith(PROCESS_CACHE_PREFIX)]:
        del app.extensions[name]
