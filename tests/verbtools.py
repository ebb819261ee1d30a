"""For tests that call the incident verbs directly (the `run` fixture in conftest.py): their refusals, and what they
wrote read back."""
import pytest
from sqlalchemy import select

from mcu.extensions import db
from mcu.incidents.store import ActionError
from mcu.models import Event, Incident, LaneState


def refused(call, *args, **kwargs) -> ActionError:
    with pytest.raises(ActionError) as caught:
        call(*args, **kwargs)
    return caught.value


def history(incident_id) -> list:
    return [(e.kind, e.from_value, e.to_value, e.reason) for e in
            db.session.scalars(select(Event).where(Event.incident_id == incident_id).order_by(Event.id))]


def card(incident_id) -> Incident:
    return db.session.get(Incident, incident_id, populate_existing=True)


def lane_versions() -> dict:
    return dict(db.session.execute(select(LaneState.lane, LaneState.version)).all())


def positions(*incidents) -> list:
    return [card(i).position for i in incidents]
