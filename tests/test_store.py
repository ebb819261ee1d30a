"""How the verbs write (mcu.incidents.store), asserted on what it leaves in the database: the versioned write and
its conflict (naming who changed the card), the one-time form token and its repeat, the lanes' versions stepped
with a change, the bulk batch, the retry on a locked SQLite and the text as stored."""
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from mcu.extensions import db
from mcu.history import record
from mcu.incidents import store
from mcu.incidents.store import Conflict, NotFound, Repeat
from mcu.lanes import EPOCH_KEY, PEOPLE_KEY
from mcu.models import FormUse, Incident, LaneState, User


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def lane_versions() -> dict:
    return dict(db.session.execute(select(LaneState.lane, LaneState.version)
                                   .where(LaneState.lane != EPOCH_KEY, LaneState.lane != PEOPLE_KEY)).all())


def user(user_id) -> User:
    return db.session.get(User, user_id)


def test_an_incident_out_of_reach_is_not_found_and_any_one_is_found_for_a_conflict(ctx, make):
    head, incident = make.user("head", "ЖКХ"), make.incident()
    with pytest.raises(NotFound) as caught:
        store.load(incident, user(head))
    assert caught.value.notice == "Такого сообщения нет или оно вам недоступно." and caught.value.status == 404
    assert store.load_any(incident).id == incident
    assert store.load(incident, user(make.user("operator"))).id == incident
    with pytest.raises(NotFound) as caught:
        store.load_any(999999)
    assert caught.value.notice == "Такого сообщения нет или оно вам недоступно."


def test_the_write_steps_the_version_and_a_stale_one_is_a_conflict_naming_who(ctx, make):
    head, incident = make.user("head", "Дороги"), make.incident(version=4)
    stale = store.load(incident, user(head))
    db.session.expunge(stale)  # the screen that saw version 4
    loaded = store.load(incident, user(head))
    updated_before = loaded.updated_at
    store.write(loaded, {"reason": "первая"})
    record(incident, "status", head, "new", "new")
    db.session.commit()
    fresh = store.load_any(incident)
    assert (fresh.version, fresh.reason) == (5, "первая") and fresh.updated_at > updated_before
    with pytest.raises(Conflict) as caught:
        store.write(stale, {"reason": "вторая"})
    conflict = caught.value
    assert conflict.status == 409 and conflict.incident.version == 5 and conflict.last_event.user_id == head
    assert conflict.notice == (f"Карточку №{incident} уже изменил(а) {user(head).name}: показано её текущее "
                               "состояние, ваше действие не применено.")
    assert store.load_any(incident).reason == "первая"


def test_a_conflict_without_a_person_in_the_history_names_the_system(ctx, make):
    incident = make.incident()
    assert store.conflict(store.load_any(incident)).notice.startswith(f"Карточку №{incident} уже изменил(а) система:")
    record(incident, "created")
    db.session.commit()
    conflict = store.conflict(store.load_any(incident))
    assert conflict.notice.startswith(f"Карточку №{incident} уже изменил(а) система:")
    assert conflict.last_event.kind == "created"
    operator = make.user("operator", name="Ольга Петрова")
    record(incident, "comment", operator, "", "Позвонила")
    db.session.commit()
    assert store.conflict(store.load_any(incident)).notice.startswith(
        f"Карточку №{incident} уже изменил(а) Ольга Петрова:")
    record(incident, "deadline")
    db.session.commit()
    assert store.last_event(incident).kind == "deadline"
    assert store.conflict(store.load_any(incident)).notice.startswith(f"Карточку №{incident} уже изменил(а) система:")


def test_a_double_submit_of_ones_own_change_is_a_repeat_and_anyone_elses_a_conflict(ctx, make):
    head, other = make.user("head", "Дороги"), make.user("head", "Дороги")
    incident = make.incident(version=2)
    record(incident, "status", head, "new", "in_progress")
    db.session.commit()
    card = store.load_any(incident)
    assert store.is_repeat(card, None, user(head), True) is False
    assert store.is_repeat(card, "2", user(head), False) is False
    assert store.is_repeat(card, "1", user(head), True) is True
    for expected, who, same in [(1, other, True), (1, head, False), (0, head, True), (3, head, True)]:
        with pytest.raises(Conflict):
            store.is_repeat(card, expected, user(who), same)


def test_a_form_token_is_kept_with_the_change_and_its_second_use_is_a_repeat(ctx, make):
    operator, incident = make.user("operator"), make.incident()
    token = "t" * 70
    store.commit(user(operator), token, incident)
    used = db.session.get(FormUse, "t" * 64)
    assert (used.user_id, used.incident_id) == (operator, incident)
    assert store.used_once(token, user(operator)).incident_id == incident
    assert store.used_once(token, user(make.user("operator"))) is None
    assert store.used_once("", user(operator)) is None and store.used_once(None, user(operator)) is None
    with pytest.raises(Repeat) as caught:
        store.commit(user(operator), token, incident)
    assert caught.value.incident_id == incident and caught.value.status == 200
    assert caught.value.notice == "Это уже сделано: повторная отправка той же формы ничего не повторяет."
    store.commit(user(operator), None, incident)  # no token: nothing to keep
    assert db.session.scalars(select(FormUse.token)).all() == ["t" * 64]


def test_finishing_a_change_steps_each_lane_it_touched_once(ctx, make):
    operator, incident = make.user("operator"), make.incident()
    roads, housing = make.department("Дороги"), make.department("ЖКХ")
    outcome = store.finish(incident, {(roads, "new"), (roads, "in_progress"), (None, "new")}, user(operator), "f-1")
    assert outcome.lanes == {str(roads): 1, "unrouted": 1} == lane_versions()
    assert outcome.incident.id == incident and outcome.noop is False
    assert outcome.cells == {(roads, "new"), (roads, "in_progress"), (None, "new")}
    assert db.session.get(FormUse, "f-1").incident_id == incident
    again = store.finish(incident, {(housing, "new"), (roads, "new")}, user(operator))
    assert again.lanes == {str(roads): 2, str(housing): 1}


def test_a_batch_commits_its_changes_once_and_a_refusal_in_it_writes_nothing(ctx, make):
    operator = make.user("operator")
    roads = make.department("Дороги")
    first, second = make.incident(), make.incident()
    with store.batch(user(operator), "bulk-1") as lanes:
        assert store.in_batch()
        for incident in (first, second):
            store.write(store.load_any(incident), {"reason": "пакетом"})
            outcome = store.finish(incident, {(roads, "new"), (None, "new")}, user(operator), "ignored")
            assert (outcome.incident, outcome.lanes, outcome.cells) == (None, {}, {(roads, "new"), (None, "new")})
        assert lane_versions() == {}
    assert not store.in_batch() and db.session.info.get(store.BATCH_LANES) is None
    assert lanes == {str(roads): 1, "unrouted": 1} == lane_versions()
    assert db.session.scalars(select(FormUse.token)).all() == ["bulk-1"]
    with pytest.raises(NotFound), store.batch(user(operator), "bulk-2"):
        store.write(store.load_any(first), {"reason": "не дойдёт"})
        store.finish(first, {(roads, "new")}, user(operator))
        store.load_any(999999)
    assert not store.in_batch() and db.session.info.get(store.BATCH_LANES) is None
    assert store.load_any(first).reason == "пакетом" and lane_versions() == {str(roads): 1, "unrouted": 1}


def locked(message="database is locked"):
    return OperationalError("UPDATE incident", {}, Exception(message))


def test_a_verb_is_retried_while_sqlite_says_locked_and_then_gives_up(ctx, make):
    calls = []

    def verb(answer, fails):
        """A verb."""
        calls.append(answer)
        if len(calls) <= fails:
            raise locked()
        return answer

    retried = store.retrying(verb)
    assert (retried.__name__, retried.__doc__) == ("verb", "A verb.")
    assert retried(42, fails=3) == 42 and calls == [42] * 4
    calls.clear()
    with pytest.raises(OperationalError):
        retried(42, fails=4)
    assert len(calls) == 4


def test_another_database_error_or_one_within_a_batch_is_not_retried(ctx, make):
    calls = []

    def verb(message):
        calls.append(message)
        raise locked(message)

    retried = store.retrying(verb)
    with pytest.raises(OperationalError):
        retried("disk I/O error")
    assert calls == ["disk I/O error"]
    calls.clear()
    incident = make.incident()
    with pytest.raises(OperationalError), store.batch(user(make.user("operator")), None):
        db.session.execute(Incident.__table__.update().where(Incident.id == incident).values(reason="в пакете"))
        retried("database is locked")
    assert calls == ["database is locked"]  # the whole batch is retried by its caller, not the one verb
    assert store.load_any(incident).reason in ("", None)


@pytest.mark.parametrize("typed,stored", [("  Яма  ", "Яма"), ("\u200b\u2060 ", ""), (None, ""), ("", ""),
                                          ("я" * 5001, "я" * 5000), (" .", "."), ("\u200b5", "\u200b5")])
def test_typed_text_is_stored_trimmed_cut_and_empty_when_invisible(typed, stored):
    assert store.clean_text(typed) == stored


def test_a_lane_is_named_by_its_department_in_history(ctx, make):
    assert store.department_name(None) == "Не распределено"
    assert store.department_name(make.department("ЖКХ")) == "ЖКХ"
    assert store.department_name(987654) == "987654"


def test_a_refusal_carries_its_notice_card_and_field(ctx, make):
    incident = store.load_any(make.incident())
    error = store.ActionError("Нельзя.", incident, "text")
    assert (str(error), error.notice, error.incident, error.field_name, error.status) == (
        "Нельзя.", "Нельзя.", incident, "text", 400)
    assert (store.ActionError("Нельзя.").incident, store.ActionError("Нельзя.").field_name) == (None, None)
    assert (store.Forbidden("x").status, store.NotFound("x").status) == (403, 404)


def test_a_verb_reads_the_card_as_stored_now_not_as_this_session_last_saw_it(app, ctx, make):
    operator, incident = make.user("operator"), make.incident()
    seen = store.load_any(incident)
    assert seen.version == 1
    with app.app_context():  # another request changes the card meanwhile
        db.session.execute(Incident.__table__.update().where(Incident.id == incident).values(version=2, reason="там"))
        db.session.commit()
    assert (store.load_any(incident).version, store.load(incident, user(operator)).reason) == (2, "там")
