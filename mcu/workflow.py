"""The status workflow: statuses, their Russian names, board columns and allowed transitions, in one table."""
from flask_babel import lazy_gettext as _l

NEW, IN_PROGRESS, INTERIM, RETURNED, ANSWERED, RESOLVED, REJECTED = (
    "new", "in_progress", "interim", "returned", "answered", "resolved", "rejected")

STATUS_NAMES = {
    NEW: _l("Новое"),
    IN_PROGRESS: _l("В работе"),
    INTERIM: _l("Промежуточный ответ"),
    RETURNED: _l("На доработке"),
    ANSWERED: _l("Ответ дан"),
    RESOLVED: _l("Решено"),
    REJECTED: _l("Отклонено"),
}

# Columns of the board, left to right. Rejected incidents are off the board but findable in the list.
BOARD_COLUMNS = (NEW, IN_PROGRESS, INTERIM, RETURNED, ANSWERED, RESOLVED)
OPEN_STATUSES = (NEW, IN_PROGRESS, INTERIM, RETURNED, ANSWERED)
CLOSED_STATUSES = (RESOLVED, REJECTED)

# from status -> statuses it may move to
TRANSITIONS = {
    NEW: {IN_PROGRESS, INTERIM, ANSWERED, REJECTED},
    IN_PROGRESS: {NEW, INTERIM, ANSWERED, REJECTED},
    INTERIM: {IN_PROGRESS, ANSWERED, REJECTED},
    RETURNED: {IN_PROGRESS, INTERIM, ANSWERED},
    ANSWERED: {RETURNED, RESOLVED},
    RESOLVED: {RETURNED},
    REJECTED: {NEW},
}

# Moving into these asks for text: the public answer, or the reason.
NEEDS_ANSWER = {INTERIM, ANSWERED}
NEEDS_REASON = {RETURNED, REJECTED}


def can_transition(from_status: str, to_status: str) -> bool:
    """True when the workflow allows this move."""
    return to_status in TRANSITIONS.get(from_status, ())


# A field worker's progress on an assigned incident (mcu/field): the step the card shows, one history line each.
ON_WAY, ON_SITE, DONE, CANNOT = "on_way", "on_site", "done", "cannot"
FIELD_STEPS = {
    ON_WAY: _l("Выехал"),
    ON_SITE: _l("На месте"),
    DONE: _l("Выполнено"),
    CANNOT: _l("Не может выполнить"),
}
# statuses in which field work goes on (an answered or closed incident takes no more steps)
FIELD_WORK_STATUSES = (NEW, IN_PROGRESS, INTERIM, RETURNED)
# what a photo shows, as the field worker tags it when sending
BEFORE, AFTER = "before", "after"
PHOTO_TAGS = {BEFORE: _l("до"), AFTER: _l("после")}
