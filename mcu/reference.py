"""Reference data every installation starts with: the channels of ЦУР practice, and the city's
departments and topics (calibrated to the seed report; an admin edits them afterwards)."""

from .extensions import db
from .lanes import ensure_epoch
from .models import Channel, Department, Topic

# how feeds and exports name a social network (lower-cased) -> what a card shows: a card never shows a code
PLATFORM_NAMES = {
    "vk": "ВКонтакте", "vk.com": "ВКонтакте", "vkontakte": "ВКонтакте", "вк": "ВКонтакте",
    "ok": "Одноклассники", "ok.ru": "Одноклассники", "odnoklassniki": "Одноклассники",
    "tg": "Telegram", "telegram": "Telegram", "t.me": "Telegram",
    "ig": "Instagram", "inst": "Instagram", "instagram": "Instagram",
    "fb": "Facebook", "facebook": "Facebook", "yt": "YouTube", "youtube": "YouTube",
    "max": "MAX", "dzen": "Дзен", "zen": "Дзен", "rutube": "Rutube",
}


def platform_name(value: str) -> str:
    """A platform as people call it: a known code named, anything else as the source wrote it."""
    return PLATFORM_NAMES.get((value or "").strip().lower(), (value or "").strip())


# code, name, inside Инцидент-менеджмент
CHANNELS = [
    ("im", "Инцидент-менеджмент ЦУР", True),
    ("direct_admin", "Директ администрации", False),
    ("direct_mayor", "Директ мэра", False),
    ("live_mayor", "Прямой эфир мэра", False),
    ("live_governor", "Прямой эфир губернатора", False),
    ("public", "Сообщения в пабликах", False),
    ("self_search", "Самопоиск", False),
    ("open311", "Open311", False),
    ("manual", "Ручной ввод", False),
]

# name, short name, colour
DEPARTMENTS = [
    ("Управление дорог и внешнего благоустройства", "Дороги", "#d9822b"),
    ("Управление благоустройства", "Благоустройство", "#4caf50"),
    ("Управление транспорта", "Транспорт", "#1e88e5"),
    ("Управление образования", "Образование", "#8e24aa"),
    ("Управление жилищно-коммунального хозяйства", "ЖКХ", "#6d4c41"),
    ("Управление природопользования и охраны окружающей среды", "Экология", "#00897b"),
    ("МКУ «Служба заказчика по ливневой канализации»", "Ливнёвки", "#3949ab"),
    ("Управление социальной поддержки населения", "Соцподдержка", "#c2185b"),
    ("Управление архитектуры и градостроительства", "Архитектура", "#546e7a"),
]

# topic, department short name, share of messages in % (seed: roads 39.6, improvement 14.3,
# transport 10.7, education 9.5; the other 25.9 % split by the project, see docs/demo-data.md)
TOPICS = [
    ("Дороги", "Дороги", 39.6),
    ("Благоустройство", "Благоустройство", 14.3),
    ("Общественный транспорт", "Транспорт", 10.7),
    ("Образование", "Образование", 9.5),
    ("ЖКХ", "ЖКХ", 8.0),
    ("Несанкционированные свалки и мусор", "Экология", 5.0),
    ("Безнадзорные животные", "Экология", 4.0),
    ("Ливневая канализация", "Ливнёвки", 3.0),
    ("Уличное освещение", "Благоустройство", 2.0),
    ("Социальная поддержка", "Соцподдержка", 1.5),
    ("Градостроительство", "Архитектура", 1.4),
    ("Прочее", None, 1.0),
]


def ensure() -> None:
    """Create what is missing; never touch what an admin has changed."""
    ensure_epoch()
    have = set(db.session.scalars(db.select(Channel.code)))
    for pos, (code, name, in_im) in enumerate(CHANNELS):
        if code not in have:
            db.session.add(Channel(code=code, name=name, in_incident_management=in_im, position=pos))
    deps = {d.short_name: d for d in db.session.scalars(db.select(Department))}
    if not deps:
        for pos, (name, short, colour) in enumerate(DEPARTMENTS):
            deps[short] = Department(name=name, short_name=short, colour=colour, position=pos)
            db.session.add(deps[short])
        db.session.flush()
    if not db.session.scalar(db.select(Topic.id).limit(1)):
        for name, short, _share in TOPICS:
            db.session.add(Topic(name=name, department_id=deps[short].id if short in deps else None))
    db.session.commit()
