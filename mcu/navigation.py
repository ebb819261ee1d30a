"""The top bar's sections and who sees each (one table, read by the base template through ``nav_links``), and the
other globals every template may use: the unrouted lane's key and one-time form tokens."""
import secrets

from flask import url_for
from flask_babel import lazy_gettext as _l

from .lanes import UNROUTED_KEY
from .roles import FIELD, can

# (endpoint, label, the action a role needs to see it; None: everyone signed in)
SECTIONS = (
    ("field.tasks", _l("Мои задачи"), "progress"),
    ("board.show", _l("Доска"), None),
    ("incidents.index", _l("Все сообщения"), None),
    ("incidents.new", _l("Новое сообщение"), "enter"),
    ("reports.index", _l("Отчёты"), "reports"),
    ("notifications.index", _l("Уведомления"), None),
    ("sources.index", _l("Источники"), "manage_feeds"),
    ("imports.upload", _l("Импорт"), "import"),
    ("rules.index", _l("Правила"), "manage_feeds"),
    ("shortcuts.templates", _l("Шаблоны ответов"), "templates"),
    ("users.index", _l("Пользователи"), "manage_users"),
    ("wall.tokens_page", _l("Стены"), "manage_walls"),
)


# where a role lands after signing in (and at "/"); the board for every role not named
HOMES = {FIELD: "field.tasks"}


def home(role: str) -> str:
    """The URL of the role's landing page."""
    return url_for(HOMES.get(role, "board.show"))


def nav_links(role: str) -> list[tuple[str, str]]:
    """The (endpoint, label) pairs of the sections this role sees, in the bar's order."""
    return [(endpoint, label) for endpoint, label, action in SECTIONS if action is None or can(role, action)]


def register(app):
    """Expose the table, and the unrouted lane's key that forms send, to templates."""
    app.jinja_env.globals["nav_links"] = nav_links
    app.jinja_env.globals["unrouted_key"] = UNROUTED_KEY
    app.jinja_env.globals["form_token"] = form_token


def form_token() -> str:
    """A one-time token for a form that changes something: sent twice, it is carried out once."""
    return secrets.token_urlsafe(18)
