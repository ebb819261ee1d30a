"""The incident verbs called directly (mcu.incidents.verbs), as the views call them: each verb's own refusals, with
the Russian notice, the HTTP status, the card and the form field it names, even where a view refuses first; and
what a verb that goes through leaves behind (the card, its history, the lanes' versions). Manual entry and where a
moved card lands: test_verb_results.py."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from verbtools import card, history, lane_versions, refused

from mcu.extensions import db
from mcu.incidents import verbs
from mcu.incidents.store import ActionError, Forbidden, NotFound
from mcu.models import FormUse
from mcu.workflow import AFTER, BEFORE, CANNOT, DONE, ON_SITE, ON_WAY

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
