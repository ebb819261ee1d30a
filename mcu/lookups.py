"""The small reference tables (departments, topics, channels, people), read in four statements and kept per
process for ``LOOKUPS_TTL`` seconds, as plain records: every open screen's poll that brings a changed lane
needs them, and names change seldom (a change shows within the TTL: the names are part of a lane's key)."""
import threading
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from flask import current_app

from .extensions import db
from .models import Channel, Department, Topic, User


class DepartmentRecord(NamedTuple):
    id: int
    name: str
    short_name: str
    colour: str
    position: int


class TopicRecord(NamedTuple):
    id: int
    name: str
    department_id: int | None


class ChannelRecord(NamedTuple):
    id: int
    code: str
    name: str
    in_incident_management: bool
    position: int


class UserRecord(NamedTuple):
    id: int
    name: str
    role: str
    department_id: int | None


@dataclass
class Lookups:
    """Reference data keyed by id, for rendering cards without a query per card."""

    departments: dict
    topics: dict
    channels: dict
    channels_by_code: dict
    users: dict
    memo: dict = field(default_factory=dict)  # what renders derive from these once (escaped names, keys)


def read() -> Lookups:
    """Four statements, whatever the number of incidents."""
    departments = {row.id: DepartmentRecord(*row) for row in db.session.execute(
        db.select(Department.id, Department.name, Department.short_name, Department.colour, Department.position)
        .order_by(Department.position, Department.name))}
    topics = {row.id: TopicRecord(*row) for row in db.session.execute(
        db.select(Topic.id, Topic.name, Topic.department_id).order_by(Topic.name))}
    channels = {row.id: ChannelRecord(*row) for row in db.session.execute(
        db.select(Channel.id, Channel.code, Channel.name, Channel.in_incident_management, Channel.position)
        .order_by(Channel.position))}
    users = {row.id: UserRecord(*row) for row in db.session.execute(
        db.select(User.id, User.name, User.role, User.department_id).order_by(User.name))}
    return Lookups(departments, topics, channels, {c.code: c for c in channels.values()}, users)


_lock = threading.Lock()


def load() -> Lookups:
    """The reference tables as this process last read them, read again when older than LOOKUPS_TTL seconds."""
    ttl = current_app.config["LOOKUPS_TTL"]
    held = current_app.extensions.get("mcu_lookups")
    if held is None or time.monotonic() - held[0] > ttl:
        with _lock:
            held = current_app.extensions.get("mcu_lookups")
            if held is None or time.monotonic() - held[0] > ttl:
                held = current_app.extensions["mcu_lookups"] = (time.monotonic(), read())
    return held[1]
