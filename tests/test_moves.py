"""Moves over HTTP: every transition of the workflow table, stale versions, double submits, reorder,
reroute and return, assignment, comments, duplicates and two writers at once."""
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PASSWORD
from sqlalchemy import func, select
from workflow_expected import LEGAL, NEEDS_ANSWER, NEEDS_REASON, STATUSES

from mcu.extensions import db
from mcu.models import Comment, Event, Incident, User

HX = {"HX-Request": "true"}


def token(client) -> str:
    html = client.get("/board").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def post(client, url, data, htmx=True):
    headers = {"X-CSRFToken": token(client)}
    if htmx:
        headers.update(HX)
    return client.post(url, data=data, headers=headers)


def get(app, incident_id) -> Incident:
    with app.app_context():
        incident = db.session.get(Incident, incident_id)
        db.session.expunge(incident)
        return incident


def events(app, incident_id, kind=None) -> list:
    with app.app_context():
        stmt = select(Event).where(Event.incident_id == incident_id).order_by(Event.id)
        if kind:
            stmt = stmt.where(Event.kind == kind)
        return [(e.kind, e.from_value, e.to_value, e.reason, e.user_id) for e in db.session.scalars(stmt)]


def move(client, incident_id, version, **fields):
    data = {"version": version, **fields}
    return post(client, f"/incidents/{incident_id}/move", data)


PAIRS = [(a, b) for a in STATUSES for b in STATUSES if a != b]


@pytest.mark.parametrize("from_status,to_status", PAIRS)
def test_every_transition_of_the_table_is_applied_or_refused(app, client, auth, make, from_status, to_status):
    user_id = auth.as_role(make, "admin")
    incident_id = make.incident(status=from_status)
    text = "Текст ответа или причина" if to_status in NEEDS_ANSWER | NEEDS_REASON else ""
    response = move(client, incident_id, 1, to_status=to_status, text=text, from_status=from_status)
    after = get(app, incident_id)
    body = response.get_data(as_text=True)
    if (from_status, to_status) in LEGAL:
        assert response.status_code == 200, body
        assert after.status == to_status and after.version == 2
        assert ("status", from_status, to_status) == events(app, incident_id, "status")[0][:3]
        assert events(app, incident_id, "status")[0][4] == user_id
        assert f'id="incident-{incident_id}"' in body or to_status == "rejected"
        if to_status == "interim":
            assert after.resolve_due is not None and after.answer_text == text
        if to_status == "answered":
            assert after.answered_at is not None and after.answer_text == text
        if to_status == "resolved":
            assert after.resolved_at is not None
        if to_status in NEEDS_REASON:
            assert after.reason == text
    else:
        assert response.status_code == 400, body
        assert "перевести нельзя" in body
        assert after.status == from_status and after.version == 1
        assert events(app, incident_id) == []


@pytest.mark.parametrize("to_status", sorted(NEEDS_ANSWER | NEEDS_REASON))
def test_answer_and_reason_columns_ask_for_text_in_place(app, client, auth, make, to_status):
    auth.as_role(make, "admin")
    start = "answered" if to_status == "returned" else "new"
    incident_id = make.incident(status=start)
    response = move(client, incident_id, 1, to_status=to_status, text="  ")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<dialog" in body and 'name="text"' in body
    assert get(app, incident_id).status == start


def test_htmx_move_returns_the_two_cells_not_the_board(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    roads = make.department("Дороги")
    moved = make.incident(text="Карточка для переноса")
    make.incident(text="Соседка в новой колонке")
    response = move(client, moved, 1, to_status="in_progress", from_status="new", from_department=roads)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'hx-target="#cell-{roads}-new"' in body and f'hx-target="#cell-{roads}-in_progress"' in body
    assert "Соседка в новой колонке" in body
    assert body.count("<hx-partial") == 3  # two cells and the (emptied) dialog slot
    assert 'id="lanes"' not in body
    board = client.get("/board").get_data(as_text=True)
    column = board[board.index(f'id="cell-{roads}-in_progress"'):]
    assert "Карточка для переноса" in column[:column.index("</section>")]


def lane_head(body: str, lane) -> str:
    """The redrawn heading of a lane in a move's answer ('' when the answer does not redraw it)."""
    found = re.search(rf'<hx-partial hx-target="#lane-{lane}-head"[^>]*>(.*?)</hx-partial>', body, re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


def test_a_move_that_changes_a_lane_count_redraws_the_lane_headings_at_once(app, client, auth, make):
    auth.as_role(make, "operator")
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    late = datetime.now(UTC) - timedelta(hours=1)
    rerouted = make.incident(first_answer_due=late)
    make.incident(first_answer_due=late)
    make.incident(department_id=transport)
    body = move(client, rerouted, 1, to_department=transport, text="Это про автобусы").get_data(as_text=True)
    assert lane_head(body, roads) == "Управление дорог и внешнего благоустройства открыто: 1 просрочено: 1"
    assert lane_head(body, transport) == "Управление транспорта открыто: 2 просрочено: 1"
    body = move(client, rerouted, 2, to_department="unrouted", text="Не по компетенции").get_data(as_text=True)
    assert lane_head(body, "unrouted") == "Не распределено открыто: 1 просрочено: 1"
    assert lane_head(body, transport) == "Управление транспорта открыто: 1"
    # a step that keeps the card open with the same deadline leaves the headings alone
    kept = make.incident(department_id=transport)
    body = move(client, kept, 1, to_status="in_progress").get_data(as_text=True)
    assert lane_head(body, transport) == "" and "<hx-partial" in body
    body = move(client, kept, 2, to_status="rejected", text="Спам").get_data(as_text=True)
    assert lane_head(body, transport) == "Управление транспорта открыто: 1"
    original, copy = make.incident(department_id=transport), make.incident(department_id=transport)
    body = post(client, f"/incidents/{copy}/duplicate", {"original": str(original), "version": 1}).get_data(
        as_text=True)
    assert "дубликат" in body and lane_head(body, transport) == "Управление транспорта открыто: 2"


def test_stale_version_gets_409_with_current_state_and_who(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    other = make.user("head", "Дороги", name="Пётр Соседов")
    incident_id = make.incident()
    other_client = app.test_client()
    with app.app_context():
        login = db.session.get(User, other).login
    from conftest import Auth
    Auth(app, other_client).login(login, PASSWORD)
    assert move(other_client, incident_id, 1, to_status="in_progress").status_code == 200
    response = move(client, incident_id, 1, to_status="answered", text="Мой ответ")
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Пётр Соседов" in body and "не применено" in body
    assert f'id="incident-{incident_id}" data-id="{incident_id}" data-version="2"' in body
    after = get(app, incident_id)
    assert after.status == "in_progress" and after.answer_text == ""


def test_double_submitted_move_is_applied_once(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    incident_id = make.incident()
    first = move(client, incident_id, 1, to_status="in_progress")
    second = move(client, incident_id, 1, to_status="in_progress")
    assert first.status_code == 200
    assert second.status_code == 200
    assert "уже сделано" in second.get_data(as_text=True)
    assert len(events(app, incident_id, "status")) == 1
    assert get(app, incident_id).version == 2


def test_reorder_within_a_column_persists(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    for n in range(4):
        make.incident(text=f"Карточка {n}")

    def order():
        html = client.get("/board").get_data(as_text=True)
        return [int(i) for i in re.findall(r'data-id="(\d+)"', html)]

    shown = order()  # newest first
    last = shown[-1]
    assert move(client, last, 1, before=shown[0]).status_code == 200
    assert order() == [last] + shown[:-1]
    assert move(client, shown[0], 1, before="end").status_code == 200
    assert order() == [last] + shown[1:-1] + [shown[0]]
    assert move(client, shown[1], 1, before=shown[0]).status_code == 200  # between two others
    assert order() == [last, shown[2], shown[1], shown[0]]
    assert events(app, last, "reorder")


def test_operator_reroutes_with_reason_and_head_cannot(app, client, auth, make):
    transport = make.department("Транспорт")
    incident_id = make.incident()
    auth.as_role(make, "head", "Дороги")
    assert move(client, incident_id, 1, to_department=transport, text="не наше").status_code == 403
    client.post("/logout", headers={"X-CSRFToken": token(client)})
    auth.as_role(make, "operator")
    refused = move(client, incident_id, 1, to_department=transport)
    assert refused.status_code == 422 and "причину" in refused.get_data(as_text=True)
    assert move(client, incident_id, 1, to_department=transport, text="Это про автобусы").status_code == 200
    after = get(app, incident_id)
    assert after.department_id == transport
    assert events(app, incident_id, "department")[0][3] == "Это про автобусы"


def test_head_returns_misrouted_card_to_operator(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    incident_id = make.incident()
    response = post(client, f"/incidents/{incident_id}/move",
                    {"version": 1, "to_department": "unrouted", "text": "Это не дороги", "before": "top"}, htmx=False)
    assert response.status_code == 302
    assert get(app, incident_id).department_id is None
    assert events(app, incident_id, "unrouted")[0][3] == "Это не дороги"
    assert client.get(f"/incidents/{incident_id}").status_code == 404  # out of the head's lane now


def test_head_cannot_touch_another_departments_card(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    incident_id = make.incident(department_id=make.department("Транспорт"))
    assert move(client, incident_id, 1, to_status="in_progress").status_code == 404
    assert get(app, incident_id).status == "new"


def test_field_worker_marks_progress_on_assigned_only(app, client, auth, make):
    field_id = auth.as_role(make, "field", "Дороги")
    mine = make.incident(assignee_id=field_id)
    other = make.incident()
    assert move(client, mine, 1, to_status="answered", text="ответ").status_code == 403
    assert move(client, mine, 1, to_status="in_progress").status_code == 200
    assert move(client, other, 1, to_status="in_progress").status_code == 404
    assert post(client, f"/incidents/{mine}/comment", {"text": "На месте, начали работы"}).status_code == 200
    assert post(client, f"/incidents/{other}/comment", {"text": "чужое"}).status_code == 404
    assert get(app, mine).status == "in_progress"


def test_viewer_changes_nothing(app, client, auth, make):
    auth.as_role(make, "viewer")
    incident_id = make.incident()
    assert move(client, incident_id, 1, to_status="in_progress").status_code == 403
    assert post(client, f"/incidents/{incident_id}/comment", {"text": "x"}).status_code == 403
    assert get(app, incident_id).version == 1


def test_move_menu_lists_only_allowed_targets(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    incident_id = make.incident(status="answered")
    body = client.get(f"/incidents/{incident_id}/move", headers=HX).get_data(as_text=True)
    assert "<dialog" in body
    assert set(re.findall(r'name="to_status" value="(\w+)"', body)) == {"answered", "returned", "resolved"}
    page = client.get(f"/incidents/{incident_id}/move").get_data(as_text=True)  # no JavaScript: a page
    assert "<html" in page and 'hx-post' not in page


def test_assign_field_staff_of_the_department_only(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    worker = make.user("field", "Дороги", name="Иван Полевой")
    stranger = make.user("field", "Транспорт")
    incident_id = make.incident()
    assert post(client, f"/incidents/{incident_id}/assign", {"assignee": stranger, "version": 1}).status_code == 400
    response = post(client, f"/incidents/{incident_id}/assign", {"assignee": worker, "version": 1}, htmx=False)
    assert response.status_code == 302
    assert get(app, incident_id).assignee_id == worker
    assert events(app, incident_id, "assignee")[0][2] == "Иван Полевой"
    assert "Иван Полевой" in client.get(f"/incidents/{incident_id}").get_data(as_text=True)


def test_comments_show_on_detail_and_keep_text_on_error(app, client, auth, make):
    auth.as_role(make, "operator")
    incident_id = make.incident()
    assert post(client, f"/incidents/{incident_id}/comment", {"text": "Позвонили жителю"}, htmx=False).status_code == 302
    assert "Позвонили жителю" in client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    empty = post(client, f"/incidents/{incident_id}/comment", {"text": "   "}, htmx=False)
    assert empty.status_code == 400 and "Комментарий пустой" in empty.get_data(as_text=True)


def test_answer_form_keeps_typed_text_on_conflict(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    incident_id = make.incident()
    assert move(client, incident_id, 1, to_status="in_progress").status_code == 200
    response = post(client, f"/incidents/{incident_id}/answer",
                    {"text": "Яму заделаем до пятницы", "kind": "final", "version": 1}, htmx=False)
    assert response.status_code == 409
    assert "Яму заделаем до пятницы" in response.get_data(as_text=True)
    ok = post(client, f"/incidents/{incident_id}/answer", {"text": "Яму заделаем", "kind": "final", "version": 2},
              htmx=False)
    assert ok.status_code == 302
    assert get(app, incident_id).status == "answered"


def test_duplicate_leaves_board_and_history_follows_original(app, client, auth, make):
    auth.as_role(make, "operator")
    original = make.incident(text="Яма на Ленина, 5")
    copy = make.incident(text="Опять яма на Ленина 5")
    assert post(client, f"/incidents/{copy}/comment", {"text": "Жалоба повторная"}).status_code == 200
    response = post(client, f"/incidents/{copy}/duplicate", {"original": f"№{original}", "version": 1})
    assert response.status_code == 200
    board = client.get("/board").get_data(as_text=True)
    assert f'id="incident-{copy}"' not in board and f'id="incident-{original}"' in board
    detail = client.get(f"/incidents/{original}").get_data(as_text=True)
    assert f'/incidents/{copy}"' in detail and "Жалоба повторная" in detail
    with app.app_context():  # the department answers the original
        db.session.get(Incident, original).answer_text = "Отремонтируем"
        db.session.commit()
    dup = client.get(f"/incidents/{copy}").get_data(as_text=True)
    assert f'/incidents/{original}"' in dup and "Отремонтируем" in dup
    assert move(client, copy, 2, to_status="new").status_code == 400  # a duplicate is not worked on
    self_dup = post(client, f"/incidents/{original}/duplicate", {"original": original, "version": 1})
    assert self_dup.status_code == 400


def test_history_cannot_be_changed_through_any_endpoint(app, client, auth, make):
    """Every state-changing endpoint, tried as an admin with the card's history in hand, leaves the lines that
    were written exactly as they were: none is edited or deleted (only new ones may be added)."""
    auth.as_role(make, "admin")
    incident_id = make.incident()
    move(client, incident_id, 1, to_status="in_progress")
    post(client, f"/incidents/{incident_id}/comment", {"text": "Первый комментарий"})
    history = events(app, incident_id)
    assert [line[0] for line in history] == ["status", "comment"]
    csrf = token(client)
    with app.test_request_context():
        rules = [rule for rule in app.url_map.iter_rules()  # signing out last would only end the test early
                 if rule.methods & {"POST", "PUT", "PATCH", "DELETE"} and rule.endpoint != "auth.logout"]
    for rule in rules:
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(incident_id)).replace(f"<{name}>", str(incident_id))
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            client.open(url, method=method, headers={"X-CSRFToken": csrf, **HX},
                        data={"version": 2, "text": "", "event_id": 1, "kind": "", "to_status": "in_progress"})
    assert events(app, incident_id)[:len(history)] == history


def test_two_writers_exactly_one_wins(app, auth, make):
    incident_id = make.incident()
    clients = []
    for n in range(2):
        user = make.user("head", "Дороги")
        c = app.test_client()
        with app.app_context():
            login = db.session.get(User, user).login
        from conftest import Auth
        assert Auth(app, c).login(login, PASSWORD).status_code == 302
        clients.append((c, token(c)))
    results = [None, None]
    barrier = threading.Barrier(2)
    targets = ["in_progress", "rejected"]

    def run(i):
        c, tok = clients[i]
        barrier.wait()
        results[i] = c.post(f"/incidents/{incident_id}/move", headers={**HX, "X-CSRFToken": tok},
                            data={"version": 1, "to_status": targets[i], "text": "причина"}).status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    assert len(events(app, incident_id, "status")) == 1
    assert get(app, incident_id).version == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


@pytest.mark.parametrize("to_department", ["Транспорт", "unrouted"])
def test_a_card_leaving_the_department_leaves_its_field_worker(app, client, auth, make, to_department):
    """A reroute (or a return to the operator) clears the assignment with a history line; the worker of the
    department it left can no longer see, comment on or move it."""
    worker = make.user("field", "Дороги", name="Иван Полевой")
    card = make.incident(assignee_id=worker, department_id=make.department("Дороги"))
    auth.as_role(make, "operator")
    target = "unrouted" if to_department == "unrouted" else make.department(to_department)
    response = move(client, card, 1, to_department=target, text="Не по компетенции", before="top")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert get(app, card).assignee_id is None
    assert events(app, card, "assignee")[0][1:4] == ("Иван Полевой", "", "сообщение ушло из подразделения")
    field = app.test_client()
    with app.app_context():
        login = db.session.get(User, worker).login
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', field.get("/login").get_data(as_text=True))
    field.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token.group(1)})
    assert field.get(f"/incidents/{card}").status_code == 404
    assert f'id="incident-{card}"' not in field.get("/board").get_data(as_text=True)
    assert post(field, f"/incidents/{card}/comment", {"text": "Я ещё тут"}).status_code == 404
    assert move(field, card, 2, to_status="in_progress").status_code == 404


def test_a_worker_keeps_no_reach_over_a_card_of_another_department_even_if_assigned(app, client, make, auth):
    """Reach asks for the worker's department as well as the assignment (an old assignment cannot leak)."""
    worker = auth.as_role(make, "field", "Дороги")
    stray = make.incident(assignee_id=worker, department_id=make.department("Транспорт"))
    assert client.get(f"/incidents/{stray}").status_code == 404
    assert move(client, stray, 1, to_status="in_progress").status_code == 404


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u200e\u2060\ufeff", " \u00a0 \u3000 ", "\u0301\u0301"])
def test_a_comment_of_invisible_characters_only_is_refused(app, client, auth, make, text):
    auth.as_role(make, "operator")
    card = make.incident()
    response = post(client, f"/incidents/{card}/comment", {"text": text})
    assert response.status_code == 400
    assert "Комментарий пустой" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Comment.id))) == 0
