"""Domain verbs on users: create, change, and change one's own password. Every change that must end a
person's other sessions (a new password, deactivation) rotates their session nonce."""
import re
import secrets

from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from ..auth.passwords import hash_password
from ..extensions import db
from ..models import Department, User
from ..roles import ADMIN, FIELD, HEAD, ROLES

LOGIN_PATTERN = re.compile(r"^[a-z0-9._-]{2,80}$")
MIN_PASSWORD = 8
DEPARTMENT_ROLES = (HEAD, FIELD)  # roles whose reach is one department


class UserError(Exception):
    """A refused change, with the field it concerns and a Russian message."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def password_problem(password: str, login: str) -> str | None:
    """Why a new password cannot be used, or None."""
    if len(password or "") < MIN_PASSWORD:
        return _("Пароль — не короче %(n)d символов.", n=MIN_PASSWORD)
    if len(password) > 200:
        return _("Пароль — не длиннее 200 символов.")
    if password.strip().lower() == (login or "").strip().lower():
        return _("Пароль не должен совпадать с логином.")
    return None


def _checked(login: str, name: str, role: str, department_id: int | None) -> tuple[str, str, int | None]:
    """Normalised values, or a UserError naming the first bad field."""
    name = (name or "").strip()
    if not name:
        raise UserError("name", _("Введите имя: его видят на карточках и в истории."))
    if len(name) > 200:
        raise UserError("name", _("Имя — не длиннее 200 символов."))
    if role not in ROLES:
        raise UserError("role", _("Выберите роль из списка."))
    if role in DEPARTMENT_ROLES:
        if department_id is None or db.session.get(Department, department_id) is None:
            raise UserError("department_id", _("Руководителю и исполнителю нужно подразделение."))
    else:
        department_id = None  # the others see the whole city
    return name, role, department_id


def create(login: str, name: str, role: str, department_id: int | None, password: str) -> User:
    """A new active user."""
    login = (login or "").strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise UserError("login", _("Логин: от 2 до 80 латинских букв, цифр, точек, дефисов или подчёркиваний."))
    if db.session.scalar(db.select(User.id).where(User.login == login)) is not None:
        raise UserError("login", _("Такой логин уже есть."))
    name, role, department_id = _checked(login, name, role, department_id)
    problem = password_problem(password, login)
    if problem:
        raise UserError("password", problem)
    user = User(login=login, name=name, role=role, department_id=department_id, active=True,
                password_hash=hash_password(password), session_nonce=secrets.token_hex(16))
    db.session.add(user)
    db.session.commit()
    return user


def update(user: User, actor: User, name: str, role: str, department_id: int | None, active: bool,
           new_password: str = "") -> list[str]:
    """Change a user; returns what changed, in words. An admin cannot lock themselves out."""
    name, role, department_id = _checked(user.login, name, role, department_id)
    if user.id == actor.id and (role != ADMIN or not active):
        raise UserError("role" if role != ADMIN else "active",
                        _("Свою роль администратора и свою учётную запись снять нельзя: это сделает другой администратор."))
    if new_password:
        problem = password_problem(new_password, user.login)
        if problem:
            raise UserError("new_password", problem)
    changed = []
    if (user.name, user.role, user.department_id) != (name, role, department_id):
        changed.append(_("данные"))
    user.name, user.role, user.department_id = name, role, department_id
    if user.active != active:
        user.active = active
        changed.append(_("включён") if active else _("отключён"))
        if not active:
            user.session_nonce = secrets.token_hex(16)  # signed-in copies of them end now
    if new_password:
        user.password_hash = hash_password(new_password)
        user.session_nonce = secrets.token_hex(16)
        changed.append(_("пароль"))
    db.session.commit()
    return changed


def change_own_password(user: User, current: str, new: str) -> None:
    """A person's new password, after the current one; their other sessions end."""
    if not check_password_hash(user.password_hash, current or ""):
        raise UserError("current", _("Текущий пароль введён неверно."))
    problem = password_problem(new, user.login)
    if problem:
        raise UserError("new", problem)
    user.password_hash = hash_password(new)
    user.session_nonce = secrets.token_hex(16)
    db.session.commit()
