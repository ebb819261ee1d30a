"""A card's menu (the «⋯» button): one tap for the common work — «Взять в работу», «Назначить…» (the department's
field staff with their open messages), «Ответить…» (the department's answer templates filled in for this
message), «Переадресовать…» (operators) — and «Переместить…». What the menu offers is what the user may do on
this card; every form posts to the same endpoints (and verbs) as the detail page and the drag."""
from flask_login import current_user

from ..access import allowed_targets, may
from ..lookups import load as load_lookups
from ..shortcuts.service import ShortcutError, fill, for_department
from ..timefmt import city_tz
from ..workflow import ANSWERED, IN_PROGRESS, INTERIM, NEEDS_ANSWER, NEEDS_REASON, NEW, RESOLVED, RETURNED, STATUS_NAMES
from .queries import field_staff_load

# where a card usually goes next: the move form opens on it unless the user chose a target (a drop, a link)
NEXT_STEP = {NEW: IN_PROGRESS, RETURNED: IN_PROGRESS, IN_PROGRESS: ANSWERED, INTERIM: ANSWERED, ANSWERED: RESOLVED}
SECTIONS = ("take", "assign", "answer", "route", "move")  # the menu's parts; a refused form reopens its own


def preset_target(incident, targets: list, asked: str) -> str:
    """The status the move form opens on: the one asked for (a drop on a column), else the next sensible step."""
    if asked in targets:
        return asked
    step = NEXT_STEP.get(incident.status)
    if step in targets:
        return step
    return next((s for s in targets if s != incident.status), "")


def answer_templates(incident) -> list[tuple[int, str, str]]:
    """(id, title, text for this message) of the templates offered on this card."""
    tz, found = city_tz(), []
    for template in for_department(incident.department_id):
        try:
            found.append((template.id, template.title, fill(template.body, incident, tz)))
        except ShortcutError:
            continue  # a template kept before its placeholder was withdrawn: not offered
    return found


def menu_context(incident, values, error: str = "", section: str = "") -> dict:
    """Everything the card's menu shows for this user; ``values`` are what the user sent (kept on a refusal)."""
    user = current_user
    lookups = load_lookups()
    can_route = may(user, incident, "route")
    can_return = can_route or may(user, incident, "return")
    targets = allowed_targets(user, incident)
    open_card = not incident.duplicate_of_id
    can_assign = open_card and may(user, incident, "assign") and incident.department_id is not None
    can_answer = open_card and may(user, incident, "answer") and any(s in targets or s == incident.status
                                                                      for s in NEEDS_ANSWER)
    return {
        "incident": incident, "targets": targets, "statuses": STATUS_NAMES,
        "departments": list(lookups.departments.values()) if can_route and open_card else [],
        "can_return": can_return,
        "preset": preset_target(incident, targets, values.get("to_status", "")), "values": values, "error": error,
        "section": section if section in SECTIONS else "",
        "needs_answer": NEEDS_ANSWER, "needs_reason": NEEDS_REASON,
        "board": values.get("board", ""), "before": values.get("before", "top"),
        "can_take": IN_PROGRESS in targets,
        "staff": field_staff_load([incident.department_id]) if can_assign else None,
        "templates": answer_templates(incident) if can_answer else None,
        "answer_kinds": [(k, STATUS_NAMES[s]) for k, s in (("interim", INTERIM), ("final", ANSWERED))
                         if s in targets or s == incident.status],
        "can_route": can_route and open_card, "resolved": RESOLVED,
    }
