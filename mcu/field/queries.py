"""The field reads: a worker's open tasks (one statement), the photos of some incidents, one photo within reach."""
from sqlalchemy import case, select

from ..access import scope
from ..extensions import db
from ..models import Incident, Photo, Topic
from ..workflow import DONE, FIELD_WORK_STATUSES, INTERIM

TASKS_SHOWN = 100  # a page's worth; a worker with more open tasks is told so (nothing grows without bound)


def held_to():
    """The deadline an incident is held to (the one its card shows), in SQL: the final answer's after an interim
    one, the first answer's before."""
    return case((Incident.status == INTERIM, Incident.resolve_due), else_=Incident.first_answer_due)


def my_tasks(user) -> list:
    """The worker's open assignments, most urgent first: overdue, then due soonest, then those without a deadline;
    (incident, topic name) rows. Work is open while the incident awaits its answer and the worker has not marked
    it «Выполнено»."""
    due = held_to()
    stmt = (scope(select(Incident, Topic.name).outerjoin(Topic, Topic.id == Incident.topic_id), user)
            .where(Incident.assignee_id == user.id, Incident.status.in_(FIELD_WORK_STATUSES),
                   Incident.field_step != DONE)
            .order_by(due.is_(None), due, Incident.received_at, Incident.id).limit(TASKS_SHOWN))
    return db.session.execute(stmt).all()


def photos_of(incident_ids) -> dict:
    """{incident id: its photos in the order they came}, for the incidents given."""
    found = {}
    if incident_ids:
        for photo in db.session.scalars(select(Photo).where(Photo.incident_id.in_(list(incident_ids)))
                                        .order_by(Photo.id)):
            found.setdefault(photo.incident_id, []).append(photo)
    return found


def visible_photo(photo_id: int, user) -> Photo | None:
    """The photo if the user may reach its incident (the same rule as the incident), else None."""
    stmt = select(Photo).join(Incident, Incident.id == Photo.incident_id).where(Photo.id == photo_id)
    return db.session.scalars(scope(stmt, user)).first()
