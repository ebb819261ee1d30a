"""What people are told about, by which channels, and who is told: one table each, read by the service, the
«Профиль» page and the tests."""
from flask_babel import lazy_gettext as _l

NEW_INCIDENT, ASSIGNED, OVERDUE, ESCALATED, RETURNED = "new_incident", "assigned", "overdue", "escalated", "returned"
APP, EMAIL, TELEGRAM = "app", "email", "telegram"

EVENT_NAMES = {
    NEW_INCIDENT: _l("Новое сообщение в подразделении"),
    ASSIGNED: _l("Назначено мне"),
    OVERDUE: _l("Просрочено"),
    ESCALATED: _l("Эскалация"),
    RETURNED: _l("Возвращено мне"),
}
# who may be told of each event (roles); the service picks the people of the card among them
EVENT_ROLES = {
    NEW_INCIDENT: ("head",),
    ASSIGNED: ("field",),
    OVERDUE: ("head",),
    ESCALATED: ("operator",),
    RETURNED: ("head", "field", "operator", "admin"),
}
CHANNEL_NAMES = {APP: _l("в приложении"), EMAIL: _l("e-mail"), TELEGRAM: _l("Telegram")}
DEFAULT_CHANNELS = (APP,)  # until a person chooses: the bell only
DEFERRABLE = (EMAIL, TELEGRAM)  # held by quiet hours and digests; the bell never is

# a notification's way: pending (waits for its due_at) → queued (a send job is in RQ) → sending (a job claimed
# it) → sent | retry (RQ tries again) | failed (tries used up); the bell's rows are sent when made
PENDING, QUEUED, SENDING, SENT, RETRY, FAILED = "pending", "queued", "sending", "sent", "retry", "failed"
STATE_NAMES = {PENDING: _l("ждёт"), QUEUED: _l("в очереди"), SENDING: _l("отправляется"), SENT: _l("доставлено"),
               RETRY: _l("ошибка, будет повтор"), FAILED: _l("не доставлено")}


def events_for(role: str) -> list[str]:
    """The events a person of this role can be told of, in the table's order."""
    return [event for event, roles in EVENT_ROLES.items() if role in roles]
