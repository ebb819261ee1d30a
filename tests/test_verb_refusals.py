"""The incident verbs called directly (mcu.incidents.verbs), as the views call them: each verb's own refusals, with
the Russian notice, the HTTP status, the card and the form field it names, even where a view refuses first; and
what a verb that goes through leaves behind (the card, its history, the lanes' versions)."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mcu.deadlines import first_answer_due
from mcu.extensions import db
from mcu.incidents import verbs
from mcu.incidents.store import ActionError, Forbidden, NotFound
from mcu.models import Event, FormUse, Incident, LaneState, User
from mcu.workflow import AFTER, BEFORE, CANNOT, DONE, ON_SITE, ON_WAY


@pytest.fixture
def run(app):
    """Call a verb as a user inside the app; the verbs needing settings get the app's and its time zone."""
    def call(verb, user_id, *args, **kwargs):
        user = db.session.get(User, user_id)
        if verb in (verbs.move_incident, verbs.answer, verbs.enter_manually):
            kwargs.update(cfg=app.config, tz=ZoneInfo(app.config["TIMEZONE"]))
        if verb is verbs.enter_manually:
            return verb(user, *args, **kwargs)
        return verb(args[0], user, *args[1:], **kwargs)
    with app.app_context():
        yield call


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


# --- moves: the workflow, the role, the missing text -------------------------------------------------------------

def test_a_status_that_does_not_exist_is_refused(run, make):
    head, incident = make.user("head", "Дороги"), make.incident()
    error = refused(run, verbs.move_incident, head, incident, to_status="lost")
    assert (type(error), error.notice, error.incident.id) == (ActionError, "Такого статуса нет.", incident)
    assert error.status == 400 and card(incident).status == "new"


def test_a_transition_the_workflow_does_not_have_names_both_columns(run, make):
    head, incident = make.user("head", "Дороги"), make.incident(status="answered")
    error = refused(run, verbs.move_incident, head, incident, to_status="new")
    assert error.notice == "Из «Ответ дан» в «Новое» перевести нельзя." and error.incident.id == incident
    assert type(error) is ActionError and card(incident).version == 1


def test_an_operator_cannot_answer_by_a_move(run, make):
    operator, incident = make.user("operator"), make.incident()
    error = refused(run, verbs.move_incident, operator, incident, to_status="answered", text="Ответ")
    assert (type(error), error.status) == (Forbidden, 403)
    assert error.notice == "Вы не можете перевести сообщение в «Ответ дан»." and error.incident.id == incident


@pytest.mark.parametrize("to_status,notice", [("interim", "Напишите текст ответа."), ("answered", "Напишите текст ответа."),
                                              ("rejected", "Укажите причину.")])
def test_a_move_that_needs_text_names_the_text_field(run, make, to_status, notice):
    head, incident = make.user("head", "Дороги"), make.incident()
    error = refused(run, verbs.move_incident, head, incident, to_status=to_status, text=" \u200b ")
    assert (type(error), error.notice, error.field_name, error.incident.id) == (ActionError, notice, "text", incident)


def test_with_its_text_the_same_move_goes_through_and_keeps_the_text(run, make):
    head, incident = make.user("head", "Дороги"), make.incident()
    run(verbs.move_incident, head, incident, to_status="rejected", text="  Не наш вопрос  ")
    assert (card(incident).status, card(incident).reason) == ("rejected", "Не наш вопрос")
    assert history(incident) == [("status", "new", "rejected", "Не наш вопрос")]


def test_a_field_worker_cannot_reorder_cards(run, make):
    worker = make.user("field", "Дороги")
    incident = make.incident(assignee_id=worker)
    error = refused(run, verbs.move_incident, worker, incident)
    assert (type(error), error.notice, error.incident.id) == (
        Forbidden, "Вы не можете менять порядок карточек.", incident)


def test_a_field_worker_cannot_hand_a_card_back_to_the_operator(run, make):
    worker = make.user("field", "Дороги")
    incident = make.incident(assignee_id=worker)
    error = refused(run, verbs.move_incident, worker, incident, to_department=None, text="Не наше")
    assert (type(error), error.notice, error.incident.id) == (
        Forbidden, "Вы не можете вернуть сообщение оператору.", incident)


def test_a_head_returns_a_card_and_an_operator_may_too(run, make):
    head, operator = make.user("head", "Дороги"), make.user("operator")
    for who in (head, operator):
        incident = make.incident()
        run(verbs.move_incident, who, incident, to_department=None, text="Не наше")
        assert card(incident).department_id is None
        assert history(incident) == [("unrouted", "Дороги", "Не распределено", "Не наше")]


def test_a_head_cannot_send_a_card_to_another_department(run, make):
    head, incident = make.user("head", "Дороги"), make.incident()
    error = refused(run, verbs.move_incident, head, incident, to_department=make.department("ЖКХ"), text="Их")
    assert (type(error), error.notice, error.incident.id) == (
        Forbidden, "Переводить сообщения в другое подразделение может только оператор.", incident)


def test_a_department_that_does_not_exist_is_refused_on_its_field(run, make):
    operator, incident = make.user("operator"), make.incident()
    error = refused(run, verbs.move_incident, operator, incident, to_department=999999, text="Туда")
    assert (type(error), error.notice, error.field_name, error.incident.id) == (
        ActionError, "Такого подразделения нет.", "to_department", incident)


def test_a_card_leaving_a_department_needs_a_reason_and_an_unrouted_one_does_not(run, make):
    operator, incident = make.user("operator"), make.incident()
    error = refused(run, verbs.move_incident, operator, incident, to_department=make.department("ЖКХ"))
    assert (type(error), error.notice, error.field_name, error.incident.id) == (
        ActionError, "Укажите причину: почему сообщение уходит из подразделения.", "text", incident)
    unrouted = make.incident(department_id=None)
    run(verbs.move_incident, operator, unrouted, to_department=make.department("ЖКХ"))
    assert card(unrouted).department_id == make.department("ЖКХ")
    assert history(unrouted) == [("routed", "Не распределено", "ЖКХ", "")]


# --- answers ------------------------------------------------------------------------------------------------------

def test_an_answer_without_text_is_refused_before_the_card_is_read(run, make):
    head = make.user("head", "Дороги")
    error = refused(run, verbs.answer, head, 999999, "\u200b", True)
    assert (type(error), error.notice, error.field_name, error.incident) == (
        ActionError, "Напишите текст ответа.", "text", None)


@pytest.mark.parametrize("final,status,kind", [(True, "answered", "answer"), (False, "interim", "interim")])
def test_an_answer_moves_the_card_to_the_top_of_its_column(run, make, final, status, kind):
    head = make.user("head", "Дороги")
    already = make.incident(status=status, position=0)
    incident = make.incident()
    run(verbs.answer, head, incident, "  Яму заделают  ", final, expected_version=1, once="answer-form-1")
    assert (card(incident).status, card(incident).answer_text) == (status, "Яму заделают")
    assert card(incident).position < card(already).position
    assert history(incident)[-1] == (kind, "", "Яму заделают", "")
    assert db.session.get(FormUse, "answer-form-1").incident_id == incident


def test_an_answer_to_an_answered_card_corrects_the_text_in_place(run, make):
    head = make.user("head", "Дороги")
    incident = make.incident(status="answered", answer_text="Старый ответ")
    before = lane_versions()
    run(verbs.answer, head, incident, "  Новый ответ  ", True, expected_version=1, once="answer-form-2")
    assert (card(incident).status, card(incident).answer_text, card(incident).version) == (
        "answered", "Новый ответ", 2)
    assert history(incident) == [("answer", "Старый ответ", "Новый ответ", "")]
    lane = str(make.department("Дороги"))
    assert lane_versions()[lane] == before.get(lane, 0) + 1
    assert db.session.get(FormUse, "answer-form-2").incident_id == incident


def test_an_answer_from_a_stale_screen_is_a_conflict_in_both_paths(run, make):
    head = make.user("head", "Дороги")
    for status in ("new", "answered"):
        incident = make.incident(status=status, version=3)
        error = refused(run, verbs.answer, head, incident, "Ответ", True, expected_version=1)
        assert error.status == 409 and card(incident).version == 3


def test_an_answer_to_a_card_out_of_reach_is_not_found(run, make):
    head, incident = make.user("head", "ЖКХ"), make.incident()
    error = refused(run, verbs.answer, head, incident, "Ответ", True)
    assert (type(error), error.notice) == (NotFound, "Такого сообщения нет или оно вам недоступно.")


# --- a field worker's sends ---------------------------------------------------------------------------------------

@pytest.fixture
def assigned(make):
    worker = make.user("field", "Дороги")
    return worker, make.incident(assignee_id=worker)


def test_only_the_field_worker_marks_steps(run, make, assigned):
    head = make.user("head", "Дороги")
    error = refused(run, verbs.report_progress, head, assigned[1], step=ON_WAY)
    assert (type(error), error.notice, error.incident.id) == (
        Forbidden, "Отмечать ход работы может только исполнитель сообщения.", assigned[1])


def test_who_may_not_comment_or_add_photos_is_refused(run, make, assigned):
    head, operator = make.user("head", "Дороги"), make.user("operator")
    notice = "Вы не можете добавлять комментарии и фото к этому сообщению."
    error = refused(run, verbs.report_progress, head, assigned[1], photos=[(AFTER, {})])  # a head: no photos
    assert (type(error), error.notice, error.incident.id) == (Forbidden, notice, assigned[1])
    viewer = make.user("viewer")
    error = refused(run, verbs.report_progress, viewer, assigned[1], text="Посмотрел")
    assert (type(error), error.notice) == (Forbidden, notice)
    run(verbs.report_progress, operator, assigned[1], text="Позвонил жителю")  # an operator may comment
    assert history(assigned[1]) == [("comment", "", "Позвонил жителю", "")]


def test_a_step_that_does_not_exist_is_refused(run, assigned):
    error = refused(run, verbs.report_progress, assigned[0], assigned[1], step="flew")
    assert (type(error), error.notice, error.incident.id) == (ActionError, "Такого шага нет.", assigned[1])


def test_an_empty_send_is_refused_on_the_text_field(run, assigned):
    error = refused(run, verbs.report_progress, assigned[0], assigned[1], text=" ")
    assert (type(error), error.field_name, error.incident.id) == (ActionError, "text", assigned[1])
    assert error.notice == "Нечего отправлять: отметьте шаг, напишите комментарий или добавьте фото."


def test_no_step_on_a_card_whose_work_is_over(run, make):
    worker = make.user("field", "Дороги")
    incident = make.incident(assignee_id=worker, status="answered")
    error = refused(run, verbs.report_progress, worker, incident, step=ON_SITE)
    assert (type(error), error.notice, error.incident.id) == (
        ActionError, "Работа по сообщению уже закончена («Ответ дан»): шаг не отмечен.", incident)
    run(verbs.report_progress, worker, incident, text="Заодно проверил")  # a comment still goes
    assert history(incident) == [("comment", "", "Заодно проверил", "")]


def test_cannot_do_needs_its_reason(run, assigned):
    error = refused(run, verbs.report_progress, assigned[0], assigned[1], step=CANNOT, text="\u200b")
    assert (type(error), error.notice, error.field_name, error.incident.id) == (
        ActionError, "Напишите причину: почему выполнить не получается.", "text", assigned[1])


@pytest.mark.parametrize("requires,text,notice", [
    ("photo_or_comment", "", "Для «Выполнено» добавьте фото «после» или напишите, что сделано."),
    ("photo", "Сделано", "Для «Выполнено» нужны фото «после»."),
    ("comment", "", "Для «Выполнено» нужны комментарий: что сделано."),
    ("photo_and_comment", "Сделано", "Для «Выполнено» нужны фото «после» и комментарий."),
])
def test_done_names_the_missing_proof(run, assigned, requires, text, notice):
    error = refused(run, verbs.report_progress, assigned[0], assigned[1], step=DONE, text=text,
                    photos=[(BEFORE, {})], requires=requires)
    assert (type(error), error.notice, error.field_name, error.incident.id) == (
        ActionError, notice, "text", assigned[1])


def test_an_after_photo_already_stored_is_proof_enough(run, make, assigned):
    from mcu.models import Photo
    worker, incident = assigned
    db.session.add(Photo(incident_id=incident, user_id=worker, tag=AFTER, stored_name="a.jpg", thumb_name="a_t.jpg",
                         content_type="image/jpeg", size_bytes=1, width=1, height=1))
    db.session.commit()
    run(verbs.report_progress, worker, incident, step=DONE, requires="photo")
    assert card(incident).field_step == DONE
    other = make.incident(assignee_id=worker)  # a photo of another card, or one from before the work, proves nothing
    db.session.add(Photo(incident_id=other, user_id=worker, tag=BEFORE, stored_name="b.jpg", thumb_name="b_t.jpg",
                         content_type="image/jpeg", size_bytes=1, width=1, height=1))
    db.session.commit()
    with pytest.raises(ActionError):
        run(verbs.report_progress, worker, other, step=DONE, requires="photo")
    third = make.incident(assignee_id=worker)
    db.session.add(Photo(incident_id=third, user_id=worker, tag=AFTER, stored_name="c.jpg", thumb_name="c_t.jpg",
                         content_type="image/jpeg", size_bytes=1, width=1, height=1))
    db.session.commit()
    run(verbs.report_progress, worker, third, step=DONE)  # by default a photo alone is enough, and so is a comment
    run(verbs.report_progress, worker, other, step=DONE, text="Заделали")
    assert (card(third).field_step, card(other).field_step) == (DONE, DONE)


def test_an_interim_answers_final_deadline_counts_working_days_in_the_city(run, make, monkeypatch):
    friday_night_utc = datetime(2026, 3, 13, 23, 30, tzinfo=UTC)  # Saturday 09:30 in Vladivostok
    monkeypatch.setattr(verbs, "utcnow", lambda: friday_night_utc)
    head = make.user("head", "Дороги")
    incident = make.incident(received_at=friday_night_utc - timedelta(hours=1))
    run(verbs.answer, head, incident, "Разбираемся", False)
    # from Saturday 14.03 (a day off): 16-20.03 and 23-24.03 are the seven working days
    due = card(incident).resolve_due.astimezone(ZoneInfo("Asia/Vladivostok"))
    assert due.strftime("%d.%m.%Y %H:%M") == "24.03.2026 09:30"


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

def positions(*incidents) -> list:
    return [card(i).position for i in incidents]


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
    a, b, c = (make.incident(position=p) for p in (0, 1, 2))
    moved = make.incident(position=7)
    run(verbs.move_incident, head, moved, before=b)
    assert positions(a, moved, b, c) == [1024, 1536, 2048, 3072]


def test_a_gap_of_two_still_takes_a_card_without_renumbering(run, make):
    head = make.user("head", "Дороги")
    a, b = make.incident(position=0), make.incident(position=2)
    moved = make.incident(position=7)
    run(verbs.move_incident, head, moved, before=b)
    assert positions(a, moved, b) == [0, 1, 2]


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
