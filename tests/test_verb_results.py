"""The incident verbs called directly: a message entered by hand as stored (its fields, history, lane, deadline and
urgency), and where a moved card lands in its cell (docs/board.md: positions, gaps, renumbering, urgency groups)."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from verbtools import card, history, lane_versions, positions, refused

from mcu.deadlines import first_answer_due
from mcu.extensions import db
from mcu.incidents import verbs
from mcu.incidents.store import Forbidden
from mcu.models import Event, FormUse, Incident

# --- a message entered by hand ------------------------------------------------------------------------------------

def test_only_an_operator_enters_a_message(run, make):
    head = make.user("head", "Дороги")
    error = refused(run, verbs.enter_manually, head, {"text": "Яма", "channel_id": make.channel()})
    assert (type(error), error.notice, error.incident) == (
        Forbidden, "Вводить сообщения вручную может только оператор.", None)
    assert db.session.scalar(select(Incident.id)) is None


def test_a_message_entered_with_the_least_is_stored_as_typed_and_unrouted(app, run, make):
    operator, channel = make.user("operator"), make.channel("direct_mayor")
    before = lane_versions()
    started = datetime.now(UTC)
    incident = run(verbs.enter_manually, operator, {"text": "  Яма у школы  ", "channel_id": channel},
                   once="manual-form-1")
    stored = card(incident.id)
    assert (stored.source, stored.text, stored.platform, stored.author, stored.url, stored.address) == (
        "manual", "Яма у школы", "", "", "", "")
    assert re.fullmatch(rf"M-{started:%Y%m%d}-[0-9a-f]{{8}}", stored.external_id)
    assert (stored.channel_id, stored.department_id, stored.topic_id, stored.status) == (channel, None, None, "new")
    assert (stored.raw, stored.version, stored.position, stored.urgent) == ({"entered_by": operator}, 1, 0, False)
    assert started <= stored.received_at.astimezone(UTC) <= datetime.now(UTC)
    tz = ZoneInfo(app.config["TIMEZONE"])
    assert stored.first_answer_due == first_answer_due(stored.received_at, False, app.config, tz)
    assert "школы" in stored.search_text
    assert history(incident.id) == [("created", "", "new", "Ручной ввод")]
    assert db.session.scalars(select(Event.user_id).where(Event.incident_id == incident.id)).all() == [operator]
    assert lane_versions()["unrouted"] == before.get("unrouted", 0) + 1
    assert db.session.get(FormUse, "manual-form-1").incident_id == incident.id


def test_a_message_entered_in_full_is_cut_to_its_fields_and_routed_by_topic(app, run, make):
    operator, topic = make.user("operator"), make.topic("Дороги")
    received = datetime(2026, 1, 15, 1, 30, tzinfo=UTC)
    incident = run(verbs.enter_manually, operator, {
        "text": "Яма", "channel_id": make.channel(), "platform": "П" * 70, "author": "А" * 310,
        "url": "https://x.ru/" + "u" * 2000, "address": "Ленина " + "д" * 500, "topic_id": topic,
        "received_at": received, "urgent": True})
    stored = card(incident.id)
    assert (len(stored.platform), len(stored.author), len(stored.url), len(stored.address)) == (60, 300, 2000, 500)
    assert stored.received_at.astimezone(UTC) == received and stored.urgent is True
    assert stored.first_answer_due == first_answer_due(received, True, app.config, ZoneInfo(app.config["TIMEZONE"]))
    assert stored.urgency == 0  # urgent and long overdue: the top urgency group
    assert "ленина" in stored.search_text and "аааа" in stored.search_text
    roads = make.department("Дороги")
    assert (stored.topic_id, stored.department_id) == (topic, roads)
    assert history(incident.id) == [("created", "", "new", "Ручной ввод"), ("routed", "", "Дороги", "по тематике")]


def test_a_department_the_operator_chose_is_said_in_the_history(run, make):
    operator, transport = make.user("operator"), make.department("Транспорт")
    incident = run(verbs.enter_manually, operator, {"text": "Автобус не пришёл", "channel_id": make.channel(),
                                                     "topic_id": make.topic("Дороги"), "department_id": transport})
    assert card(incident.id).department_id == transport
    assert history(incident.id)[1] == ("routed", "", "Транспорт", "выбрано оператором")
    assert db.session.scalars(select(Event.user_id).where(Event.incident_id == incident.id)).all() == [operator] * 2
    assert lane_versions()[str(transport)] >= 1 and "unrouted" not in lane_versions()


# --- where a moved card lands ---------------------------------------------------------------------------------------

def test_a_card_dropped_among_others_lands_where_it_was_dropped(run, make):
    head = make.user("head", "Дороги")
    a, b, c = (make.incident(position=p) for p in (0, 1024, 2048))
    moved = make.incident(position=5000)
    for before, expected in [(c, 1536), (a, -1024), ("top", -1024), (b, 512), ("end", 3072), (None, 3072),
                             (999999, 3072)]:
        run(verbs.move_incident, head, moved, before=before)
        assert card(moved).position == expected, before
    assert history(moved)[-1] == ("reorder", "", "3072", "")
    assert positions(a, b, c) == [0, 1024, 2048]  # the others keep their places while there are gaps


def test_with_no_gap_left_the_group_is_renumbered_in_its_order(run, make):
    head = make.user("head", "Дороги")
    a, b, c = (make.incident(position=p) for p in (100, 101, 102))
    moved = make.incident(position=7)
    run(verbs.move_incident, head, moved, before=b)
    assert positions(a, moved, b, c) == [1024, 1536, 2048, 3072]


def test_a_gap_of_two_still_takes_a_card_without_renumbering(run, make):
    head = make.user("head", "Дороги")
    a, b = make.incident(position=0), make.incident(position=2)
    moved = make.incident(position=7)
    run(verbs.move_incident, head, moved, before=b)
    assert positions(a, moved, b) == [0, 1, 2]
    c = make.incident(position=5)
    run(verbs.move_incident, head, moved, before=c)  # between 2 and 5: the whole number below the middle
    assert positions(b, moved, c) == [2, 3, 5] and isinstance(card(moved).position, int)


def test_an_empty_cell_puts_the_card_at_zero_and_the_other_cells_do_not_count(run, make):
    head = make.user("head", "Дороги")
    make.incident(status="in_progress", position=4096)
    make.incident(position=-50, department_id=make.department("ЖКХ"))
    moved = make.incident(position=300)
    run(verbs.move_incident, head, moved, before="top")
    assert card(moved).position == 0


def test_a_card_dropped_among_another_urgency_lands_at_the_nearest_edge_of_its_own(run, make):
    roads = make.department("Дороги")
    overdue = make.incident(position=0, urgency=0)
    calm = make.incident(position=50, urgency=2)
    soon = [make.incident(position=p, urgency=1) for p in (100, 200)]
    moved = make.incident(position=999, urgency=1)
    now = datetime.now(UTC)
    assert verbs.place(moved, roads, "new", 1, overdue, now) == (100 - 1024, [])  # dropped above: our top
    assert verbs.place(moved, roads, "new", 1, calm, now) == (200 + 1024, [])  # dropped below: our end
    assert verbs.place(moved, roads, "new", 1, soon[1], now) == (150, [])
    assert verbs.place(soon[0], roads, "new", 1, soon[1], now) == (200 - 1024, [])  # itself is not counted


def test_cards_at_one_position_are_ordered_newest_first_then_by_number(run, make):
    head, now = make.user("head", "Дороги"), datetime.now(UTC)
    newest, middle, oldest = (make.incident(received_at=now - timedelta(hours=h)) for h in (1, 2, 3))
    moved = make.incident(position=99)
    run(verbs.move_incident, head, moved, before=oldest)
    assert positions(newest, middle, moved, oldest) == [1024, 2048, 2560, 3072]
    first, second, third = (make.incident(received_at=now, status="in_progress") for _ in range(3))
    moved = make.incident(position=99, status="in_progress")
    run(verbs.move_incident, head, moved, before=first)
    assert positions(third, second, moved, first) == [1024, 2048, 2560, 3072]


@pytest.mark.parametrize("urgent,amber_at", [(True, "18.03.2026 13:00"), (False, "18.03.2026 16:45")])
def test_a_message_entered_by_hand_turns_amber_in_the_last_quarter_of_its_working_hours(run, make, monkeypatch,
                                                                                       urgent, amber_at):
    city = ZoneInfo("Asia/Vladivostok")
    wednesday = datetime(2026, 3, 18, 10, 0, tzinfo=city)
    monkeypatch.setattr(verbs, "utcnow", lambda: wednesday.astimezone(UTC))
    incident = run(verbs.enter_manually, make.user("operator"), {
        "text": "Яма", "channel_id": make.channel(), "received_at": wednesday, "urgent": urgent})
    stored = card(incident.id)
    # urgent: 4 h, due 14:00, amber from its last hour; else 9 h, due Thursday 10:00, amber for its last 2 h 15 min (from Wednesday 16:45)
    assert stored.urgency == 2
    assert stored.urgency_next_at.astimezone(city).strftime("%d.%m.%Y %H:%M") == amber_at
