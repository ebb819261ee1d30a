"""Times as people in the city read them: local time zone, short Russian ages."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _


def city_tz() -> ZoneInfo:
    """The city's time zone from the TIMEZONE setting."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(dt: datetime | str | None, fmt: str = "%d.%m.%Y %H:%M", tz: ZoneInfo | None = None) -> str:
    """A UTC datetime (or one in ISO text, as history lines keep deadlines) as the city's wall-clock text."""
    if not dt:
        return ""
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return dt
    return dt.astimezone(tz or city_tz()).strftime(fmt)


def age(dt: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the short form a card has room for: «5 мин», «3 ч», «2 д»."""
    if dt is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - dt).total_seconds())
    if seconds < 60:
        return _("сейчас")
    if seconds < 3600:
        return _("%(n)d мин", n=seconds // 60)
    if seconds < 86400:
        return _("%(n)d ч", n=seconds // 3600)
    return _("%(n)d д", n=seconds // 86400)


def safe_url(url: str | None) -> str | None:
    """The URL if it is a plain web link; anything else (javascript:, data:, ...) is never made a link."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


def register(app):
    """Expose the helpers to templates as filters."""
    app.add_template_filter(local, "local")
    app.add_template_filter(age, "age")
    app.add_template_filter(safe_url, "safe_url")
