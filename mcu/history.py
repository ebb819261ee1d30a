"""The append-only history of an incident: how a change is written and how each kind reads."""
from flask_babel import lazy_gettext as _l

from .extensions import db
from .models import Event

EVENT_NAMES = {
    "created": _l("Поступило"),
    "updated": _l("Обновлено из источника"),
    "routed": _l("Распределено"),
    "status": _l("Статус"),
    "department": _l("Подразделение"),
    "assignee": _l("Исполнитель"),
    "answer": _l("Ответ"),
    "interim": _l("Промежуточный ответ"),
    "comment": _l("Комментарий"),
    "reorder": _l("Порядок в колонке"),
    "duplicate": _l("Дубликат"),
    "unrouted": _l("Возвращено оператору"),
    "first_answer_due": _l("Срок первого ответа"),
    "resolve_due": _l("Срок решения"),
    "overdue": _l("Просрочено"),
    "escalated": _l("Эскалация"),
    # field work (mcu/field): a progress step, a photo as proof, a photo put into or taken out of the answer
    "field_step": _l("Ход работы"),
    "photo": _l("Фото"),
    "photo_answer": _l("Фото в ответе"),
}


def record(incident_id: int, kind: str, user_id: int | None = None, from_value: str = "",
           to_value: str = "", reason: str = "") -> Event:
    """Add one history line to the session; the caller's transaction commits it with the change."""
    event = Event(incident_id=incident_id, user_id=user_id, kind=kind, from_value=from_value or "",
                  to_value=to_value or "", reason=reason or "")
    db.session.add(event)
    return event
