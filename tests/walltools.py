"""Shared by the wall's HTTP and browser tests: display tokens, and the hostile texts a wall must mask."""
from mcu.extensions import db
from mcu.models import Department
from mcu.wall import tokens

HOSTILE = {  # text as a citizen might write it -> what must not be on the wall
    "Звоните +7 914 555-12-34, жду": "555-12-34",
    "Мой телефон 8(4212)55-12-34 вечером": "55-12-34",
    "тел.89145551234": "5551234",
    "Пишите на ivan.petrov@mail.ru срочно": "ivan.petrov",
    "Фото тут: https://vk.com/photo123_456 и t.me/joinchat/xyz": "vk.com",
    "Мой номер 8 914 555 12 34 звоните": "555 12 34",
    "Адрес почты anna (собака) yandex.ru": "yandex",
}


def make_token(app, name="Зал", department=None) -> str:
    """A display token's secret (department: a short name, or None for the whole city)."""
    with app.app_context():
        department_id = None
        if department:
            department_id = db.session.scalar(db.select(Department.id).filter_by(short_name=department))
        return tokens.create(name, department_id)[1]


def revoke_token(app, name="Зал") -> None:
    with app.app_context():
        tokens.revoke(tokens.by_name(name))
