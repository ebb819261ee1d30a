"""The small reference tables (departments, topics, channels, people), each loaded in one statement."""
from dataclasses import dataclass

from .extensions import db
from .models import Channel, Department, Topic, User


@dataclass
class Lookups:
    """Reference data keyed by id, for rendering cards without a query per card."""

    departments: dict
    topics: dict
    channels: dict
    channels_by_code: dict
    users: dict


def load() -> Lookups:
    """Four statements, whatever the number of incidents."""
    departments = {d.id: d for d in db.session.scalars(
        db.select(Department).order_by(Department.position, Department.name))}
    topics = {t.id: t for t in db.session.scalars(db.select(Topic).order_by(Topic.name))}
    channels = {c.id: c for c in db.session.scalars(db.select(Channel).order_by(Channel.position))}
    users = {row.id: row for row in db.session.execute(
        db.select(User.id, User.name, User.role, User.department_id).order_by(User.name))}
    return Lookups(departments, topics, channels, {c.code: c for c in channels.values()}, users)
