"""`flask deadlines recompute`: after the calendar or the settings change, open cards' deadlines follow, each
moved one with one history line and a new version; answered cards and deadlines already right stay as they are."""
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from mcu import create_app
from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.history import record
from mcu.lanes import read_versions
from mcu.models import Event, Incident

CITY = ZoneInfo("Asia/Vladivostok")
REASON = "пересчитан по производственному календарю"
# Mon 03.05.2021 10:00, the day off for May 1: Mon-Fri counting made it due Tue 04.05 10:00 (00:00 UTC);
# the production calendar makes it Tue 04.05 18:00 (08:00 UTC): all nine hours on Tuesday
RECEIVED = datetime(2021, 5, 3, 10, 0, tzinfo=CITY)
WEEKDAYS_DUE = datetime(2021, 5, 4, 0, 0, tzinfo=UTC)
CALENDAR_DUE = datetime(2021, 5, 4, 8, 0, tzinfo=UTC)


def recompute(app, *args):
    result = app.test_cli_runner().invoke(args=["deadlines", "recompute", *args])
    assert result.exit_code == 0, result.output
    return result.output


def card(app, incident_id):
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        history = [(e.kind, e.from_value, e.to_value, e.reason, e.user_id) for e in db.session.scalars(
            select(Event).where(Event.incident_id == incident_id).order_by(Event.id))]
        return incident.version, incident.first_answer_due, incident.resolve_due, history


def board_version(app):
    """The lane versions: what tells open screens that a card changed."""
    with app.app_context():
        return read_versions()


def test_an_open_card_whose_deadline_moved_gets_one_history_line_and_a_new_version(app, make):
    moved = make.incident(status="new", received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
    answered = make.incident(status="answered", received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
    already_right = make.incident(status="in_progress", received_at=RECEIVED, first_answer_due=CALENDAR_DUE)
    board = board_version(app)
    assert "изменилось: 1" in recompute(app)
    assert card(app, moved) == (2, CALENDAR_DUE, None, [
        ("first_answer_due", "2021-05-04T00:00:00+00:00", "2021-05-04T08:00:00+00:00", REASON, None)])
    assert card(app, answered) == (1, WEEKDAYS_DUE, None, [])
    assert card(app, already_right) == (1, CALENDAR_DUE, None, [])
    lane = str(make.department("Дороги"))  # the factory's lane: only the moved card's lane steps, once
    assert board_version(app) == {**board, lane: board.get(lane, 0) + 1}
    assert "изменилось: 0" in recompute(app)  # the second run finds nothing to write
    assert card(app, moved)[0] == 2 and len(card(app, moved)[3]) == 1
    assert board_version(app) == {**board, lane: board.get(lane, 0) + 1}


def test_a_returned_card_follows_and_a_rejected_or_resolved_one_does_not(app, make):
    returned = make.incident(status="returned", received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
    closed = [make.incident(status=s, received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
              for s in ("resolved", "rejected")]
    recompute(app)
    assert card(app, returned)[:2] == (2, CALENDAR_DUE)
    assert [card(app, c)[:2] for c in closed] == [(1, WEEKDAYS_DUE), (1, WEEKDAYS_DUE)]


def test_an_interim_cards_final_deadline_counts_from_its_interim_answer(app, make):
    # interim answer Fri 26.04.2024 11:30: Mon-Fri counting gave Tue 07.05 11:30; the calendar gives Mon 13.05
    # 11:30 (27.04 working Saturday 1, 02.05 2, 03.05 3, 06.05 4, 07.05 5, 08.05 6, 09-12.05 off, 13.05 7)
    interim_at = datetime(2024, 4, 26, 11, 30, tzinfo=CITY)
    first_due = datetime(2024, 4, 25, 1, 0, tzinfo=UTC)  # met by the interim answer: stays as it was
    old, new = datetime(2024, 5, 7, 11, 30, tzinfo=CITY), datetime(2024, 5, 13, 11, 30, tzinfo=CITY)
    moved = make.incident(status="interim", received_at=datetime(2024, 4, 24, 15, 0, tzinfo=CITY),
                          first_answer_due=first_due, resolve_due=old)
    in_line = make.incident(status="interim", received_at=datetime(2024, 4, 24, 15, 0, tzinfo=CITY),
                            first_answer_due=first_due, resolve_due=new)
    with app.app_context():
        record(moved, "status", None, "new", "in_progress").created_at = datetime(2024, 4, 25, tzinfo=UTC)
        record(moved, "status", None, "in_progress", "interim").created_at = interim_at
        # a move writes its history line a few ms after it computed the deadline: not a moved deadline
        record(in_line, "interim", None, "", "Ответ").created_at = interim_at + timedelta(milliseconds=4)
        db.session.commit()
    assert "изменилось: 1" in recompute(app)
    assert card(app, moved) == (2, first_due, new, [
        ("status", "new", "in_progress", "", None), ("status", "in_progress", "interim", "", None),
        ("resolve_due", "2024-05-07T01:30:00+00:00", "2024-05-13T01:30:00+00:00", REASON, None)])
    assert card(app, in_line)[:3] == (1, first_due, new)
    assert "изменилось: 0" in recompute(app)


def test_a_regional_day_off_added_to_the_settings_moves_open_deadlines(app, make, monkeypatch):
    incident_id = make.incident(status="new", received_at=RECEIVED, first_answer_due=CALENDAR_DUE)
    assert "изменилось: 0" in recompute(app)
    monkeypatch.setitem(app.config, "HOLIDAYS", ["2021-05-04"])
    assert "изменилось: 1" in recompute(app)
    assert card(app, incident_id)[1] == datetime(2021, 5, 5, 18, 0, tzinfo=CITY)  # all nine hours on Wed 05.05


def test_the_history_shows_the_moved_deadline_in_city_time(app, client, auth, make):
    incident_id = make.incident(status="new", received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
    recompute(app)
    auth.as_role(make, "viewer")
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    line = " ".join(re.search(r"<li><time>[^<]*</time> · <strong>Срок первого ответа</strong>(.*?)</li>", page,
                              re.DOTALL)[1].split())
    assert line == f': 04.05.2021 10:00 → 04.05.2021 18:00 · система · <span class="reason">{REASON}</span>'


def test_enqueued_recompute_runs_on_the_worker(app, make, redis_conn):
    incident_id = make.incident(status="new", received_at=RECEIVED, first_answer_due=WEEKDAYS_DUE)
    assert "В очереди" in recompute(app, "--enqueue")
    assert card(app, incident_id)[1] == WEEKDAYS_DUE  # nothing happens until a worker takes it
    SimpleWorker([mcu_queue.QUEUE_NAME], connection=redis_conn).work(burst=True)
    assert card(app, incident_id)[:2] == (2, CALENDAR_DUE)


@pytest.mark.skipif(os.environ.get("MCU_TEST_DB") == "postgresql",
                    reason="setup on a fresh embedded database is a SQLite story")
def test_setup_recomputes_and_demo_data_is_already_in_line():
    folder = tempfile.mkdtemp(prefix="mcu-setup-")
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "DEMO": True,
                        "DATABASE_URL": f"sqlite:///{folder}/fresh.sqlite"})
    fresh.test_cli_runner().invoke(args=["setup"])
    again = fresh.test_cli_runner().invoke(args=["setup"])
    assert again.exit_code == 0 and "Сроки пересчитаны по производственному календарю; изменилось: 0" in again.output
