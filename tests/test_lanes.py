"""Lanes and cells (mcu/lanes.py): which cards a cell holds (recent answers and solutions only, from the moment the
board's window starts), the lanes' versions each change steps, the epoch, and the per-process version cache."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import or_, select

from mcu import lanes
from mcu.extensions import db
from mcu.models import Incident, LaneState

SINCE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def cards(condition) -> set:
    return set(db.session.scalars(select(Incident.id).where(condition)))


def versions() -> dict:
    return {k: v for k, v in lanes.read_versions().items() if k != lanes.EPOCH_KEY}


def test_a_lane_is_written_as_its_department_or_unrouted():
    assert (lanes.lane_key(None), lanes.lane_key(7)) == ("unrouted", "7")


def test_a_cell_holds_its_lanes_cards_of_its_status(ctx, make):
    roads, housing = make.department("Дороги"), make.department("ЖКХ")
    new, working = make.incident(), make.incident(status="in_progress")
    elsewhere, unrouted = make.incident(department_id=housing), make.incident(department_id=None)
    assert cards(lanes.in_cell(roads, "new", SINCE)) == {new}
    assert cards(lanes.in_cell(roads, "in_progress", SINCE)) == {working}
    assert cards(lanes.in_cell(None, "new", SINCE)) == {unrouted}
    assert cards(lanes.in_cell(housing, "new", SINCE)) == {elsewhere}
    assert cards(lanes.in_lane(None)) == {unrouted} and cards(lanes.in_lane(roads)) == {new, working}


def test_solved_and_answered_cells_hold_only_what_the_window_shows(ctx, make):
    roads = make.department("Дороги")
    solved_at_start = make.incident(status="resolved", resolved_at=SINCE)
    solved_before = make.incident(status="resolved", resolved_at=SINCE - timedelta(seconds=1))
    make.incident(status="resolved", resolved_at=SINCE, department_id=None)
    answered_at_start = make.incident(status="answered", answered_at=SINCE)
    make.incident(status="answered", answered_at=SINCE - timedelta(seconds=1))
    make.incident(status="answered", answered_at=SINCE, department_id=None)
    assert cards(lanes.in_cell(roads, "resolved", SINCE)) == {solved_at_start}
    assert cards(lanes.in_cell(roads, "answered", SINCE)) == {answered_at_start}
    open_ones = {make.incident(status=s) for s in ("new", "in_progress", "interim", "returned")}
    make.incident(status="rejected")
    board = cards(or_(*lanes.on_board(SINCE))) - {i for i in cards(lanes.in_lane(None))}
    assert board == open_ones | {solved_at_start, answered_at_start}
    assert solved_before not in board


def test_an_answered_card_with_a_solved_moment_is_not_a_recent_answer(ctx, make):
    odd = make.incident(status="answered", answered_at=SINCE, resolved_at=SINCE)
    answered = make.incident(status="answered", answered_at=SINCE + timedelta(hours=1))
    assert cards(lanes.answered_recently(SINCE)) == {answered}
    assert odd not in cards(lanes.in_cell(make.department("Дороги"), "answered", SINCE))


def test_each_lane_touched_is_stepped_once_and_its_new_version_returned(ctx, make):
    roads, housing = make.department("Дороги"), make.department("ЖКХ")
    assert lanes.bump([]) == {} and versions() == {}
    assert lanes.bump([roads, None, roads]) == {str(roads): 1, "unrouted": 1}
    assert list(lanes.bump([roads, housing, None])) == sorted([str(roads), str(housing), "unrouted"])
    assert versions() == {str(roads): 2, str(housing): 1, "unrouted": 2}
    lanes.bump_every_lane()
    assert versions() == {str(roads): 3, str(housing): 2, "unrouted": 3}


def test_the_epoch_is_made_once_and_is_no_lane(ctx):
    db.session.execute(LaneState.__table__.delete())
    lanes.ensure_epoch()
    epoch = db.session.get(LaneState, lanes.EPOCH_KEY).version
    assert 1 <= epoch <= 2**62
    lanes.ensure_epoch()
    db.session.commit()
    assert db.session.get(LaneState, lanes.EPOCH_KEY).version == epoch
    assert lanes.read_versions() == {lanes.EPOCH_KEY: epoch}


def test_the_version_cache_reads_again_only_when_older_than_its_ttl(ctx, make, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(lanes.time, "monotonic", lambda: clock[0])
    cache = lanes.VersionCache(ttl=2)
    roads = make.department("Дороги")
    first = dict(cache.get())
    lanes.bump([roads])
    db.session.commit()
    clock[0] += 2  # not older than the ttl yet: the same values
    assert cache.get() == first
    clock[0] += 0.5
    assert cache.get()[str(roads)] == first.get(str(roads), 0) + 1
    lanes.bump([roads])
    db.session.commit()
    clock[0] += 1
    assert cache.get()[str(roads)] == first.get(str(roads), 0) + 1
    assert lanes.VersionCache(ttl=0).get()[str(roads)] == first.get(str(roads), 0) + 2


def test_a_card_answered_then_returned_or_solved_then_marked_duplicate_stays_out_of_those_cells(ctx, make):
    roads = make.department("Дороги")
    returned = make.incident(status="returned", answered_at=SINCE + timedelta(hours=1))  # the resident objected
    duplicate = make.incident(status="rejected", resolved_at=SINCE + timedelta(hours=1))  # solved, then a duplicate
    assert cards(lanes.in_cell(roads, "answered", SINCE)) == set()
    assert cards(lanes.in_cell(roads, "returned", SINCE)) == {returned}
    assert cards(or_(*lanes.on_board(SINCE))) == {returned}
    assert duplicate not in cards(lanes.in_cell(roads, "resolved", SINCE))


def test_the_epoch_is_positive_and_fits_a_64_bit_version(ctx, monkeypatch):
    asked = []
    for drawn, expected in ((0, 1), (2**62 - 1, 2**62)):
        db.session.execute(LaneState.__table__.delete())
        db.session.expunge_all()
        monkeypatch.setattr(lanes.secrets, "randbelow", lambda n, drawn=drawn: asked.append(n) or drawn)
        lanes.ensure_epoch()
        db.session.commit()
        assert db.session.scalar(select(LaneState.version).where(LaneState.lane == lanes.EPOCH_KEY)) == expected
    assert asked == [2**62, 2**62]
