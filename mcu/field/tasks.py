"""A task as the field worker reads it: the deadline it is held to, the time left in words, and map links."""
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from flask_babel import gettext as _

from ..access import reaches
from ..models import Incident
from ..workflow import CANNOT, DONE, FIELD_STEPS, FIELD_WORK_STATUSES, INTERIM, ON_SITE, ON_WAY

STEP_ORDER = (ON_WAY, ON_SITE, DONE)  # the thumb buttons, in the order work goes; CANNOT has its own


def _coordinate(value: float) -> str:
    """Degrees with at most six decimals (about 10 cm), without trailing zeros."""
    return f"{value:.6f}".rstrip("0").rstrip(".")


def map_links(lat, lon, address: str, city: str) -> dict | None:
    """{"geo": a geo: URI for the phone's map app, "yandex": Yandex Maps} with the point when there is one (Yandex's
    ``pt`` is longitude,latitude), else with the address as the search (the city added when it is not named);
    None without either."""
    if lat is not None and lon is not None:
        lat_text, lon_text = _coordinate(lat), _coordinate(lon)
        return {"geo": f"geo:{lat_text},{lon_text}",
                "yandex": f"https://yandex.ru/maps/?pt={lon_text},{lat_text}&z=17&l=map"}
    address = (address or "").strip()
    if not address:
        return None
    query = address if city and city.lower() in address.lower() else f"{city}, {address}" if city else address
    encoded = quote(query, safe="")
    return {"geo": f"geo:0,0?q={encoded}", "yandex": f"https://yandex.ru/maps/?text={encoded}"}


def time_left(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """(«осталось 3 ч 20 мин» or «просрочено на 1 д 2 ч», overdue?) for a deadline; ("", False) without one."""
    if due is None:
        return "", False
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    days, hours, rest = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        span = _("%(d)d д %(h)d ч", d=days, h=hours) if hours else _("%(d)d д", d=days)
    elif hours:
        span = _("%(h)d ч %(m)d мин", h=hours, m=rest) if rest else _("%(h)d ч", h=hours)
    else:
        span = _("%(m)d мин", m=rest)
    if seconds < 0:
        return _("просрочено на %(span)s", span=span), True
    return _("осталось %(span)s", span=span), False


@dataclass
class Task:
    """One incident as «Мои задачи» shows it."""

    incident: Incident
    topic: str
    due: datetime | None
    left: str
    overdue: bool
    map: dict | None
    photos: list = field(default_factory=list)
    steps: tuple = ()  # the progress steps it may take now
    reachable: bool = True  # still the worker's (a task handed back is shown once more, without its forms)


def present(incident: Incident, topic: str | None, user, now: datetime, city: str, photos=()) -> Task:
    """The task for this incident and worker at this moment."""
    due = incident.resolve_due if incident.status == INTERIM else incident.first_answer_due
    left, overdue = time_left(due, now)
    reachable = reaches(user, incident)
    working = reachable and incident.status in FIELD_WORK_STATUSES
    steps = (*STEP_ORDER, CANNOT) if working else ()
    return Task(incident, topic or "", due, left, overdue,
                map_links(incident.lat, incident.lon, incident.address, city), list(photos),
                tuple(s for s in steps if s in FIELD_STEPS), reachable)
