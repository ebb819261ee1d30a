"""Answer templates and saved views: who may keep which, the placeholders, and the checks (no ``request`` here).

A template's body is plain text with placeholders in braces; ``fill`` puts a message's facts in and refuses a
placeholder it does not know. The result is plain text like any typed answer: it is escaped where it is shown
(the dialog's textarea, the detail page), never stored as markup.
"""
import re
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Department, utcnow
from ..roles import ADMIN, can
from .models import AnswerTemplate, SavedView

TITLE_LIMIT, BODY_LIMIT = 120, 5000
VIEW_NAME_LIMIT, VIEW_QUERY_LIMIT = 80, 1000
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
PLACEHOLDERS = {  # name -> what it becomes (shown on the management page)
    "номер": _l("номер сообщения"),
    "адрес": _l("адрес из сообщения"),
    "дата": _l("сегодняшняя дата"),
    "дата_сообщения": _l("дата поступления сообщения"),
    "автор": _l("имя автора"),
    "подразделение": _l("подразделение"),
    "срок": _l("срок ответа (дата)"),
}


class ShortcutError(Exception):
    """A refused change to a template or a view, with the Russian message a person reads."""

    def __init__(self, notice: str, status: int = 400):
        super().__init__(notice)
        self.notice = notice
        self.status = status


def unknown_placeholders(body: str) -> list[str]:
    """Placeholders in the body that ``fill`` does not know (a brace left open counts too)."""
    found = [name for name in PLACEHOLDER.findall(body) if name.strip() not in PLACEHOLDERS]
    rest = PLACEHOLDER.sub("", body)
    if "{" in rest or "}" in rest:
        found.append("{" if "{" in rest else "}")
    return found


def _unknown_notice(names) -> str:
    known = ", ".join("{" + n + "}" for n in PLACEHOLDERS)
    return _("Неизвестная подстановка %(names)s. Можно: %(known)s.",
             names=", ".join("«" + n + "»" for n in names), known=known)


def fill(body: str, incident, tz, now: datetime | None = None) -> str:
    """The template's text for this message: every placeholder replaced (plain text, escaped where shown);
    ShortcutError for a placeholder it does not know."""
    bad = unknown_placeholders(body)
    if bad:
        raise ShortcutError(_unknown_notice(bad))
    now = now or utcnow()
    due = incident.resolve_due if incident.status == "interim" else incident.first_answer_due
    values = {
        "номер": str(incident.id),
        "адрес": incident.address or _("указанному адресу"),
        "дата": now.astimezone(tz).strftime("%d.%m.%Y"),
        "дата_сообщения": incident.received_at.astimezone(tz).strftime("%d.%m.%Y"),
        "автор": incident.author or _("автор сообщения"),
        "подразделение": incident.department.name if incident.department else "",
        "срок": due.astimezone(tz).strftime("%d.%m.%Y") if due else "",
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1).strip()], body)


def may_manage(user) -> bool:
    """Admins keep every template; heads keep their department's."""
    return can(user.role, "templates")


def manageable(user):
    """The templates this person may edit, city-wide first."""
    stmt = select(AnswerTemplate).order_by(AnswerTemplate.department_id.is_not(None), AnswerTemplate.department_id,
                                           AnswerTemplate.title)
    if user.role != ADMIN:
        stmt = stmt.where(AnswerTemplate.department_id == user.department_id)
    return db.session.scalars(stmt.limit(500)).all()


def for_department(department_id) -> list[AnswerTemplate]:
    """The templates offered on a card of this department: its own and the city-wide ones."""
    where = AnswerTemplate.department_id.is_(None)
    if department_id is not None:
        where = or_(where, AnswerTemplate.department_id == department_id)
    return db.session.scalars(select(AnswerTemplate).where(where)
                              .order_by(AnswerTemplate.department_id.is_(None), AnswerTemplate.title).limit(200)).all()


def usable_templates(user) -> list[AnswerTemplate]:
    """The templates a person may answer many cards with: their department's and the city-wide ones (an admin:
    every one; a template of another department is refused card by card)."""
    if user.role == ADMIN:
        return db.session.scalars(select(AnswerTemplate).order_by(AnswerTemplate.department_id.is_not(None),
                                                                  AnswerTemplate.title).limit(200)).all()
    return for_department(user.department_id)


def load_template(template_id: int, user, for_use: bool = False) -> AnswerTemplate:
    """A template this person may edit (or, ``for_use``, may answer with); ShortcutError 404 otherwise."""
    found = db.session.get(AnswerTemplate, template_id)
    if found is None:
        raise ShortcutError(_("Такого шаблона нет."), 404)
    mine = user.role == ADMIN or found.department_id == user.department_id
    if not mine and not (for_use and found.department_id is None):
        raise ShortcutError(_("Такого шаблона нет."), 404)
    return found


def save_template(user, template_id: int | None, title: str, body: str, department_id) -> AnswerTemplate:
    """Create or change a template; heads keep only their department's (the department is theirs whatever sent)."""
    if not may_manage(user):
        raise ShortcutError(_("Шаблоны ответов ведут администратор и руководители подразделений."), 403)
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise ShortcutError(_("Укажите название шаблона."))
    if len(title) > TITLE_LIMIT:
        raise ShortcutError(_("Название длиннее %(n)d символов.", n=TITLE_LIMIT))
    if not body:
        raise ShortcutError(_("Напишите текст шаблона."))
    if len(body) > BODY_LIMIT:
        raise ShortcutError(_("Текст шаблона длиннее %(n)d символов.", n=BODY_LIMIT))
    bad = unknown_placeholders(body)
    if bad:
        raise ShortcutError(_unknown_notice(bad))
    if user.role != ADMIN:
        department_id = user.department_id
    elif department_id is not None and db.session.get(Department, department_id) is None:
        raise ShortcutError(_("Такого подразделения нет."))
    found = AnswerTemplate() if template_id is None else load_template(template_id, user)
    found.title, found.body, found.department_id = title, body, department_id
    found.updated_by_id, found.updated_at = user.id, utcnow()
    db.session.add(found)
    db.session.commit()
    return found


def delete_template(user, template_id: int) -> None:
    """Remove a template this person keeps."""
    if not may_manage(user):
        raise ShortcutError(_("Шаблоны ответов ведут администратор и руководители подразделений."), 403)
    db.session.delete(load_template(template_id, user))
    db.session.commit()


def views_of(user) -> list[SavedView]:
    """The person's saved views, by name (a person keeps at most ``limit``)."""
    return db.session.scalars(select(SavedView).where(SavedView.user_id == user.id)
                              .order_by(SavedView.name).limit(100)).all()


def save_view(user, name: str, query: str, limit: int) -> SavedView:
    """Keep the board's filters (its URL query, already checked by the board's parser) under a name; the same
    name again replaces that view's filters."""
    name = " ".join((name or "").split())
    if not name:
        raise ShortcutError(_("Назовите вид, например «Мои просроченные»."))
    if len(name) > VIEW_NAME_LIMIT:
        raise ShortcutError(_("Название вида длиннее %(n)d символов.", n=VIEW_NAME_LIMIT))
    if len(query) > VIEW_QUERY_LIMIT:
        raise ShortcutError(_("Фильтры вида слишком длинные."))
    found = db.session.scalars(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)).first()
    if found is None:
        count = db.session.scalar(select(func.count()).select_from(SavedView).where(SavedView.user_id == user.id))
        if count >= limit:
            raise ShortcutError(_("Сохранено уже %(n)d видов: удалите ненужный.", n=limit))
        found = SavedView(user_id=user.id, name=name)
        db.session.add(found)
    found.query = query
    db.session.commit()
    return found


def delete_view(user, view_id: int) -> None:
    """Remove one of the person's own views (another person's is not found)."""
    found = db.session.get(SavedView, view_id)
    if found is None or found.user_id != user.id:
        raise ShortcutError(_("Такого вида нет."), 404)
    db.session.delete(found)
    db.session.commit()
