"""Demo data: users one per role and a few hundred incidents whose channel and topic mix follows the seed."""
import random
from datetime import UTC, datetime, timedelta

from flask import current_app

from . import reference
from .auth.passwords import hash_password
from .deadlines import first_answer_due, first_answer_stamp, resolve_due_after_interim
from .demo_texts import ANSWERS, AUTHORS, PLATFORMS, STREETS, TEXTS
from .extensions import db
from .history import record
from .lanes import bump
from .models import Channel, Department, Incident, Topic, User
from .roles import ADMIN, FIELD, HEAD, OPERATOR, VIEWER
from .search import search_columns
from .timefmt import city_tz
from .workflow import ANSWERED, IN_PROGRESS, INTERIM, NEW, REJECTED, RESOLVED, RETURNED

DEMO_PASSWORD = "demo"
# login, name, role, department short name
DEMO_USERS = [
    ("admin", "Администратор системы", ADMIN, None),
    ("operator", "Ольга Смирнова", OPERATOR, None),
    ("head", "Игорь Дорохов", HEAD, "Дороги"),
    ("field", "Павел Ремнёв", FIELD, "Дороги"),
    ("viewer", "Аналитик Наблюдатель", VIEWER, None),
    ("head2", "Марина Садова", HEAD, "Благоустройство"),
    ("field2", "Анна Зелёная", FIELD, "Благоустройство"),
]

# channel code -> share in % (seed: 8,238 of 14,827 through Инцидент-менеджмент; the 6,589 outside it
# are split between the outside channels by the project's estimate, see docs/demo-data.md)
CHANNEL_MIX = {"im": 55.56, "direct_admin": 12.0, "direct_mayor": 10.0, "live_mayor": 6.0,
               "live_governor": 4.0, "public": 8.0, "self_search": 4.44}

LINKS = {"ВКонтакте": "https://vk.com/wall-{a}_{b}", "Telegram": "https://t.me/khv_city/{b}",
         "Одноклассники": "https://ok.ru/group/{a}/topic/{b}", "Instagram": "https://www.instagram.com/p/C{b}/",
         "Facebook": "https://www.facebook.com/khv.adm/posts/{b}"}


def _status_for_age(rng: random.Random, hours: float) -> str:
    """A plausible status for a message of this age."""
    if hours < 3:
        table = [(NEW, 80), (IN_PROGRESS, 20)]
    elif hours < 24:
        table = [(NEW, 25), (IN_PROGRESS, 40), (INTERIM, 15), (ANSWERED, 15), (RETURNED, 5)]
    elif hours < 72:
        table = [(IN_PROGRESS, 20), (INTERIM, 20), (ANSWERED, 30), (RESOLVED, 25), (RETURNED, 5)]
    else:
        table = [(ANSWERED, 12), (RESOLVED, 83), (REJECTED, 5)]
    return rng.choices([s for s, _w in table], [w for _s, w in table])[0]


def ensure_users() -> list[tuple[str, str]]:
    """Create the demo users that are missing; return (login, role name) of all of them."""
    deps = {d.short_name: d.id for d in db.session.scalars(db.select(Department))}
    have = set(db.session.scalars(db.select(User.login)))
    hashed = hash_password(DEMO_PASSWORD)
    for login, name, role, dep in DEMO_USERS:
        if login not in have:
            db.session.add(User(login=login, name=name, role=role, department_id=deps.get(dep),
                                password_hash=hashed))
    db.session.commit()
    return [(login, role) for login, _n, role, _d in DEMO_USERS]


def load_incidents(count: int = 420, seed: int = 2021, now: datetime | None = None) -> int:
    """Add `count` demo incidents spread over the last three weeks; returns how many were added."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    cfg, tz = current_app.config, city_tz()
    topics = list(db.session.scalars(db.select(Topic)))
    shares = {name: share for name, _d, share in reference.TOPICS}
    topic_weights = [shares.get(t.name, 1.0) for t in topics]
    channels = {c.code: c.id for c in db.session.scalars(db.select(Channel))}
    codes = [c for c in CHANNEL_MIX if c in channels]
    fields = {u.department_id: u.id for u in db.session.scalars(db.select(User).filter_by(role=FIELD))}
    start = db.session.scalar(db.select(db.func.count(Incident.id))) or 0
    platforms, platform_weights = zip(*PLATFORMS)
    stamp = first_answer_stamp(cfg, tz)
    for n in range(count):
        topic = rng.choices(topics, topic_weights)[0]
        hours = min(rng.expovariate(1 / 60), 21 * 24)
        received = now - timedelta(hours=hours, minutes=rng.randint(0, 59))
        status = _status_for_age(rng, hours)
        street, street2 = rng.sample(STREETS, 2)
        slots = {"street": street, "street2": street2, "house": rng.randint(1, 120),
                 "route": rng.choice([1, 4, 8, 15, 19, 29, 31, 56, 71, 77]), "school": rng.randint(1, 88)}
        text = rng.choice(TEXTS.get(topic.name, TEXTS["Прочее"])).format(**slots)
        platform = rng.choices(platforms, platform_weights)[0]
        author = rng.choice(AUTHORS)
        channel_code = rng.choices(codes, [CHANNEL_MIX[c] for c in codes])[0]
        department_id = topic.department_id
        if status == NEW and rng.random() < 0.12:
            department_id = None  # waiting for the operator to route it
        if department_id is None:
            status = NEW  # nobody works on what was never routed
        urgent = rng.random() < 0.05
        due = first_answer_due(received, urgent, cfg, tz)
        incident = Incident(
            source="demo", external_id=f"demo-{seed}-{start + n}", channel_id=channels[channel_code],
            platform=platform, author=author, text=text, address=f"{street}, {slots['house']}",
            url=LINKS[platform].format(a=rng.randint(10000, 99999), b=rng.randint(1000, 999999)),
            topic_id=topic.id, department_id=department_id, status=NEW, received_at=received,
            first_answer_due=due, urgent=urgent, created_at=received, updated_at=received,
            **search_columns(text, author, f"{street}, {slots['house']}"),
            raw={"demo": True, "channel": channel_code, "platform": platform, "author": author, "text": text})
        db.session.add(incident)
        db.session.flush()
        record(incident.id, "created", to_value=NEW).created_at = received
        _walk(incident, status, rng, now, fields, cfg, tz, ANSWERS.get(topic.name, ANSWERS["Прочее"]).format(**slots))
        if incident.answered_at is not None:  # its first public answer, stamped as the verbs stamp it
            for column, value in stamp(incident.received_at, incident.answered_at).items():
                setattr(incident, column, value)
    bump([None, *db.session.scalars(db.select(Department.id))])
    db.session.commit()
    return count


def _walk(incident: Incident, status: str, rng: random.Random, now: datetime, fields: dict, cfg, tz,
          answer: str) -> None:
    """Move a fresh demo incident along the workflow to `status`, writing its history on the way."""
    moment = incident.received_at
    span = max((now - moment).total_seconds(), 60)

    def step(to_status, reason=""):
        nonlocal moment
        moment = min(now, moment + timedelta(seconds=rng.uniform(0.05, 0.3) * span))
        event = record(incident.id, "status", from_value=incident.status,
                       to_value=to_status, reason=reason)
        event.created_at = moment
        incident.status = to_status
        incident.updated_at = moment

    if status == NEW:
        return
    if status == REJECTED:
        incident.reason = "Вопрос не относится к компетенции администрации города."
        step(REJECTED, incident.reason)
        return
    step(IN_PROGRESS)
    incident.assignee_id = fields.get(incident.department_id)
    if status == IN_PROGRESS:
        return
    if status == INTERIM or rng.random() < 0.3:
        incident.answer_text = "Здравствуйте! Ваше сообщение принято в работу, о результатах сообщим дополнительно."
        step(INTERIM)
        incident.answered_at = moment
        incident.resolve_due = resolve_due_after_interim(moment, cfg, tz)
        if status == INTERIM:
            return
    if status == RETURNED:
        incident.reason = "Ответ не содержит сроков выполнения работ."
        incident.answer_text = answer
        step(ANSWERED)
        incident.answered_at = incident.answered_at or moment
        step(RETURNED, incident.reason)
        return
    incident.answer_text = answer
    step(ANSWERED)
    incident.answered_at = incident.answered_at or moment
    if status == RESOLVED:
        step(RESOLVED)
        incident.resolved_at = moment


def load(count: int = 420) -> list[tuple[str, str]]:
    """Reference data, demo users and, on an empty database, demo incidents."""
    reference.ensure()
    users = ensure_users()
    if not db.session.scalar(db.select(Incident.id).limit(1)):
        load_incidents(count)
    return users
