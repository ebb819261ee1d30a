"""Roles and what each may do: one table read by views, templates and tests."""
from flask_babel import lazy_gettext as _l

ADMIN, OPERATOR, HEAD, FIELD, VIEWER = "admin", "operator", "head", "field", "viewer"

ROLE_NAMES = {
    ADMIN: _l("Администратор"),
    OPERATOR: _l("Оператор МЦУ"),
    HEAD: _l("Руководитель подразделения"),
    FIELD: _l("Исполнитель"),
    VIEWER: _l("Наблюдатель"),
}

# scope: which incidents a role sees on the board and may act on.
#   "all": every lane; "department": the user's department lane; "assigned": assigned to the user.
ROLES = {
    ADMIN: {"scope": "all", "can": {"move", "route", "answer", "assign", "comment", "enter", "merge",
                                    "return", "manage_users", "manage_feeds", "manage_walls", "import",
                                    "reports", "templates"}},
    OPERATOR: {"scope": "all", "can": {"route", "enter", "merge", "comment", "import", "move", "reports"}},
    HEAD: {"scope": "department", "can": {"move", "answer", "assign", "comment", "return", "reports", "templates"}},
    FIELD: {"scope": "assigned", "can": {"progress", "comment", "photo"}},  # photo: proof of work (mcu/field)
    VIEWER: {"scope": "all", "can": {"reports"}},
}


def can(role: str, action: str) -> bool:
    """True when the role's row grants the action."""
    return action in ROLES.get(role, {}).get("can", ())
