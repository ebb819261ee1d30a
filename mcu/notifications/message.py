"""What a notification says: the card's number, topic, department, status, deadline and a link to it, and never
the citizen's text, name or address (a head opens the card to read them, inside the board's access rules)."""
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Department, Incident, Topic
from ..timefmt import local
from ..urgency import held_due
from ..workflow import STATUS_NAMES
from .rules import ASSIGNED, ESCALATED, NEW_INCIDENT, OVERDUE, RETURNED

HEADLINES = {
    NEW_INCIDENT: _l("Новое сообщение №%(id)d в подразделении"),
    ASSIGNED: _l("Вам назначено сообщение №%(id)d"),
    OVERDUE: _l("Сообщение №%(id)d просрочено"),
    ESCALATED: _l("Эскалация: сообщение №%(id)d просрочено"),
    RETURNED: _l("Сообщение №%(id)d возвращено"),
}


@dataclass
class Card:
    """The facts of a card a message may carry."""

    id: int
    topic: str
    department: str
    status: str
    due: str
    link: str


def link_to(incident_id: int, base_url: str) -> str:
    """The card's page as an absolute link under the public BASE_URL (jobs have no request to take it from)."""
    parts = urlsplit(base_url)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build("incidents.detail", {"incident_id": incident_id}, force_external=True)


def card(incident_id: int, cfg, tz) -> Card:
    """The card's facts as of now."""
    row = db.session.execute(
        select(Incident.id, Incident.status, Incident.first_answer_due, Incident.resolve_due, Topic.name,
               Department.name).outerjoin(Topic, Topic.id == Incident.topic_id)
        .outerjoin(Department, Department.id == Incident.department_id).where(Incident.id == incident_id)).one()
    due = held_due(row[1], row[2], row[3])
    return Card(row[0], row[4] or _("Без тематики"), row[5] or _("Не распределено"), str(STATUS_NAMES[row[1]]),
                local(due, tz=tz) if due else "—", link_to(row[0], cfg["BASE_URL"]))


def headline(event: str, card: Card) -> str:
    """The notification's first line, also its e-mail subject and its line on the «Уведомления» page."""
    return str(HEADLINES[event]) % {"id": card.id}


def body(event: str, card: Card) -> str:
    """The text of one notification."""
    return "\n".join((
        headline(event, card) + ".",
        _("Тематика: %(v)s", v=card.topic),
        _("Подразделение: %(v)s", v=card.department),
        _("Статус: %(v)s", v=card.status),
        _("Срок: %(v)s", v=card.due),
        _("Открыть: %(v)s", v=card.link),
    ))


def digest(items: list[tuple[str, Card]]) -> tuple[str, str]:
    """(subject, text) of a digest of several notifications, one line per card."""
    subject = _("МЦУ: новых сообщений в подразделении: %(n)d", n=len(items))
    lines = [subject + "."]
    lines += [f"№{c.id} · {c.topic} · {_('срок')} {c.due} · {c.link}" for _event, c in items]
    return subject, "\n".join(lines)
