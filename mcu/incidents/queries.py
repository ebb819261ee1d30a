"""The incident reads behind the list and the detail page: what the user may reach, a page of it, one
incident with its history, and the field staff who can be assigned."""
from dataclasses import replace

from sqlalchemy import func, select

from ..access import scope
from ..board.queries import apply_filters
from ..extensions import db
from ..models import Comment, Event, Incident, Photo, User
from ..roles import FIELD
from ..search import condition, parse, ranked
from ..workflow import OPEN_STATUSES


def reachable(incident_id: int, user) -> Incident | None:
    """The incident if the user may reach it, else None."""
    return db.session.scalars(scope(select(Incident).where(Incident.id == incident_id), user)).first()


def page_of(user, filters, status: str, page: int, size: int, now, tz) -> tuple[list[Incident], int]:
    """One page of the incidents the user may reach, and how many there are in all: the best matches first
    when the filters search for words, else the newest first (the deadline filters as of ``now``, in the city's
    zone ``tz``)."""
    query = parse(filters.q)
    stmt = apply_filters(scope(select(Incident), user), replace(filters, q="") if query else filters, user, now, tz)
    if status:
        stmt = stmt.where(Incident.status == status)
    if query:
        total = db.session.scalar(select(func.count()).select_from(stmt.where(condition(query)).subquery()))
        stmt = ranked(stmt, query)
    else:
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        stmt = stmt.order_by(Incident.received_at.desc(), Incident.id.desc())
    rows = db.session.scalars(stmt.limit(size).offset((page - 1) * size)).all()
    return rows, total


def with_history(incident: Incident) -> dict:
    """The incident's duplicates, its original, the history and comments of it and its duplicates, its photos."""
    duplicates = db.session.scalars(select(Incident).where(Incident.duplicate_of_id == incident.id)
                                    .order_by(Incident.id)).all()
    ids = [incident.id] + [d.id for d in duplicates]
    return {
        "duplicates": duplicates,
        "original": db.session.get(Incident, incident.duplicate_of_id) if incident.duplicate_of_id else None,
        "events": db.session.scalars(select(Event).where(Event.incident_id.in_(ids)).order_by(Event.id)).all(),
        "comments": db.session.scalars(select(Comment).where(Comment.incident_id.in_(ids))
                                       .order_by(Comment.id)).all(),
        "photos": db.session.scalars(select(Photo).where(Photo.incident_id == incident.id).order_by(Photo.id)).all(),
    }


def field_staff(department_id) -> list[User]:
    """The department's active field staff, for the assign form."""
    if department_id is None:
        return []
    return db.session.scalars(select(User).where(User.role == FIELD, User.department_id == department_id,
                                                 User.active.is_(True)).order_by(User.name)).all()


def field_staff_load(department_ids) -> list[tuple[User, int]]:
    """The active field staff of these departments with how many open messages each holds (one grouped count),
    for «Назначить…»; by department, then name."""
    department_ids = [d for d in department_ids if d is not None]
    if not department_ids:
        return []
    staff = db.session.scalars(select(User).where(User.role == FIELD, User.department_id.in_(department_ids),
                                                  User.active.is_(True))
                               .order_by(User.department_id, User.name).limit(500)).all()
    if not staff:
        return []
    counts = dict(db.session.execute(
        select(Incident.assignee_id, func.count()).where(Incident.assignee_id.in_([u.id for u in staff]),
                                                         Incident.status.in_(OPEN_STATUSES),
                                                         Incident.duplicate_of_id.is_(None))
        .group_by(Incident.assignee_id)).all())
    return [(u, counts.get(u.id, 0)) for u in staff]
