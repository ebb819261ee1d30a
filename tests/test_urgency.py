"""Overdue first, in words: cards say the time left, overdue ones lead their column, then the ones due soon, then
the head's own order; dragging orders cards within their urgency; the deadline sweep moves a card's urgency and
the open screens of its lane only; the «Просрочено», «Срок сегодня» and «Мои» filters on the board and the list."""
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from conftest import csrf_from

from mcu import urgency
from mcu.extensions import db
from mcu.lanes import read_versions
from mcu.models import Incident

CITY = ZoneInfo("Asia/Vladivostok")
HX = {"HX-Request": "true"}


def sweep(app, now=None):
    with app.app_context():
        return urgency.sweep(now or datetime.now(UTC), app.config, CITY)


def cell(html: str, lane, status="new") -> str:
    part = html[html.index(f'id="cell-{lane}-{status}"'):]
    return part[:part.index("</section>")]


def ids_in(html: str, lane, status="new") -> list[int]:
    return [int(i) for i in re.findall(r'data-id="(\d+)"', cell(html, lane, status))]


def card(html: str, ident: int) -> str:
    at = html.index(f'id="incident-{ident}"')
    part = html[html.rindex("<li", 0, at):]
    return part[:part.index("</li>")]


def test_overdue_cards_lead_the_column_then_the_ones_due_soon_then_the_heads_order(client, auth, make):
    auth.as_role(make, "head", "Дороги")
    roads = make.department("Дороги")
    now = datetime.now(UTC)
    calm_old = make.incident(received_at=now - timedelta(hours=3), first_answer_due=now + timedelta(days=30))
    late_new = make.incident(received_at=now - timedelta(hours=2), first_answer_due=now - timedelta(minutes=5))
    soon = make.incident(received_at=now - timedelta(hours=4), first_answer_due=now + timedelta(hours=1))
    calm_new = make.incident(received_at=now - timedelta(hours=1), first_answer_due=now + timedelta(days=30))
    late_old = make.incident(received_at=now - timedelta(hours=5), first_answer_due=now - timedelta(hours=2))
    answered = make.incident(status="answered", received_at=now - timedelta(minutes=1),
                             first_answer_due=now - timedelta(hours=3))
    sweep(make.app)
    html = client.get("/board").get_data(as_text=True)
    # overdue first (newest first among equals), then due soon, then the rest newest first
    assert ids_in(html, roads) == [late_new, late_old, soon, calm_new, calm_old]
    assert ids_in(html, roads, "answered") == [answered]
    assert 'class="card overdue"' in card(html, late_old) and "⚠" in card(html, late_old)
    assert 'class="card due-soon"' in card(html, soon) and "◔" in card(html, soon)
    assert 'class="card"' in card(html, calm_old)
    assert "просрочено" not in card(html, answered) and "осталось" not in card(html, answered)


def test_a_card_says_the_time_left_in_words(client, auth, make):
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    left = make.incident(first_answer_due=now + timedelta(hours=2, minutes=15, seconds=40))
    late = make.incident(first_answer_due=now - timedelta(days=1, hours=3, seconds=20))
    days = make.incident(first_answer_due=now + timedelta(days=3, seconds=40))
    minutes = make.incident(first_answer_due=now - timedelta(minutes=40, seconds=20))
    html = client.get("/board").get_data(as_text=True)
    assert '<span class="due-left">осталось 2 ч 15 мин</span>' in card(html, left)
    assert '<span class="due-left">просрочено на 1 д 3 ч</span>' in card(html, late)
    assert '<span class="due-left">осталось 3 д</span>' in card(html, days)
    assert '<span class="due-left">просрочено на 40 мин</span>' in card(html, minutes)
    due = re.search(r'data-due="(\d+)"', card(html, left)).group(1)
    assert int(due) == int((now + timedelta(hours=2, minutes=15, seconds=40)).timestamp())


def moves(client, html, incident_id, **fields):
    with client.application.app_context():
        version = db.session.get(Incident, incident_id).version
    return client.post(f"/incidents/{incident_id}/move", data={"version": version, **fields},
                       headers={**HX, "X-CSRFToken": csrf_from(html)})


def test_dragging_orders_cards_within_their_urgency_and_a_card_dropped_among_others_lands_at_its_edge(
        client, auth, make):
    auth.as_role(make, "head", "Дороги")
    roads = make.department("Дороги")
    now = datetime.now(UTC)
    late_a = make.incident(received_at=now - timedelta(hours=1), first_answer_due=now - timedelta(hours=1))
    late_b = make.incident(received_at=now - timedelta(hours=2), first_answer_due=now - timedelta(hours=1))
    calm_a = make.incident(received_at=now - timedelta(hours=3), first_answer_due=now + timedelta(days=30))
    calm_b = make.incident(received_at=now - timedelta(hours=4), first_answer_due=now + timedelta(days=30))
    sweep(make.app)
    html = client.get("/board").get_data(as_text=True)
    assert ids_in(html, roads) == [late_a, late_b, calm_a, calm_b]
    # a calm card dropped above the overdue ones goes to the top of the calm ones
    assert moves(client, html, calm_b, before=str(late_b)).status_code == 200
    assert ids_in(client.get("/board").get_data(as_text=True), roads) == [late_a, late_b, calm_b, calm_a]
    # an overdue card dropped among the calm ones goes to the end of the overdue ones
    assert moves(client, html, late_a, before=str(calm_a)).status_code == 200
    assert ids_in(client.get("/board").get_data(as_text=True), roads) == [late_b, late_a, calm_b, calm_a]
    # within one urgency the head's order holds
    assert moves(client, html, calm_a, before=str(calm_b)).status_code == 200
    assert moves(client, html, late_a, before="top").status_code == 200
    assert ids_in(client.get("/board").get_data(as_text=True), roads) == [late_a, late_b, calm_a, calm_b]


def test_an_answer_takes_a_card_out_of_the_overdue_ones_at_once(client, auth, make):
    auth.as_role(make, "head", "Дороги")
    roads = make.department("Дороги")
    now = datetime.now(UTC)
    late = make.incident(status="in_progress", first_answer_due=now - timedelta(hours=1))
    calm = make.incident(status="interim", received_at=now - timedelta(days=1), resolve_due=now + timedelta(days=9))
    sweep(make.app)
    html = client.get("/board").get_data(as_text=True)
    assert moves(client, html, late, to_status="interim", text="Промежуточный ответ").status_code == 200
    html = client.get("/board").get_data(as_text=True)
    assert ids_in(html, roads, "interim") == [late, calm]  # calm now, newest first among the calm
    with make.app.app_context():
        assert db.session.get(Incident, late).urgency == urgency.CALM


def test_the_sweep_moves_a_card_into_the_overdue_ones_and_steps_only_its_lane(app, make):
    roads, transport = make.department("Дороги"), make.department("Транспорт")
    now = datetime.now(UTC)
    card = make.incident(department_id=roads, first_answer_due=now + timedelta(hours=1))
    make.incident(department_id=transport, first_answer_due=now + timedelta(days=30))
    with app.app_context():
        start = read_versions()
    sweep(app, now)  # both cards assessed: one turns amber, the other stays calm
    with app.app_context():
        assert db.session.get(Incident, card).urgency == urgency.SOON
        before = read_versions()
    assert before.get(str(transport)) == start.get(str(transport))  # assessed, unchanged: its lane does not move
    assert sweep(app, now + timedelta(minutes=30)) == 0  # nothing crossed a threshold: no lane moves
    with app.app_context():
        assert read_versions() == before
    assert sweep(app, now + timedelta(hours=1, seconds=1)) == 1
    with app.app_context():
        after = read_versions()
        assert db.session.get(Incident, card).urgency == urgency.OVERDUE
    assert after[str(roads)] == before[str(roads)] + 1 and after.get(str(transport)) == before.get(str(transport))


def test_a_calm_card_turns_amber_in_the_last_quarter_of_its_working_hours(app, make):
    # Tue 01.12.2026, received 09:00 local: due 18:00 (9 working hours); amber from 15:45 (2 h 15 min left)
    received = datetime(2026, 12, 1, 9, 0, tzinfo=CITY)
    card = make.incident(received_at=received, first_answer_due=datetime(2026, 12, 1, 18, 0, tzinfo=CITY))
    sweep(app, datetime(2026, 12, 1, 15, 44, tzinfo=CITY))
    with app.app_context():
        row = db.session.get(Incident, card)
        assert (row.urgency, row.urgency_next_at) == (urgency.CALM, datetime(2026, 12, 1, 15, 45, tzinfo=CITY))
    sweep(app, datetime(2026, 12, 1, 15, 45, tzinfo=CITY))
    with app.app_context():
        assert db.session.get(Incident, card).urgency == urgency.SOON


def test_over_a_weekend_amber_waits_for_monday(app, make):
    # received Fri 04.12.2026 16:00, due Mon 07.12 16:00 (2 h Friday + 7 h Monday): amber at Mon 13:45, not Sunday
    card = make.incident(received_at=datetime(2026, 12, 4, 16, 0, tzinfo=CITY),
                         first_answer_due=datetime(2026, 12, 7, 16, 0, tzinfo=CITY))
    sweep(app, datetime(2026, 12, 6, 23, 0, tzinfo=CITY))
    with app.app_context():
        row = db.session.get(Incident, card)
        assert (row.urgency, row.urgency_next_at) == (urgency.CALM, datetime(2026, 12, 7, 13, 45, tzinfo=CITY))


def board_and_list(client, query):
    board = client.get("/board?" + query)
    listing = client.get("/incidents/?" + query)
    return board, listing


def listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr><td><a href="/incidents/(\d+)">', html)}


def test_the_overdue_and_due_today_filters_on_the_board_and_in_the_list(client, auth, make):
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    today = datetime.combine(now.astimezone(CITY).date(), time(0), CITY)
    late = make.incident(text="просроченное", first_answer_due=now - timedelta(minutes=1))
    end_of_today = today + timedelta(days=1)
    due_today = make.incident(text="сегодняшнее", first_answer_due=now + (end_of_today - now) / 2)
    tomorrow = make.incident(text="завтрашнее", first_answer_due=today + timedelta(days=1, hours=1))
    answered = make.incident(status="answered", first_answer_due=now - timedelta(hours=1))
    board, listing = board_and_list(client, "deadline=overdue")
    assert board.status_code == listing.status_code == 200
    shown = {int(i) for i in re.findall(r'data-id="(\d+)"', board.get_data(as_text=True))}
    assert shown == {late} and listed(listing.get_data(as_text=True)) == {late}
    assert 'value="overdue" selected' in board.get_data(as_text=True)
    board, listing = board_and_list(client, "deadline=today")
    shown = {int(i) for i in re.findall(r'data-id="(\d+)"', board.get_data(as_text=True))}
    expected = {late, due_today} if now - today >= timedelta(minutes=1) else {due_today}  # late: due today too
    assert shown == expected and listed(listing.get_data(as_text=True)) == expected
    assert tomorrow not in shown and answered not in shown


def test_mine_is_a_field_workers_own_cards_a_heads_unassigned_ones_and_an_operators_unrouted(app, make):
    from test_live import signed_in
    roads = make.department("Дороги")
    head, _ = signed_in(app, make, "head", "Дороги")
    worker, _ = signed_in(app, make, "field", "Дороги")
    with app.app_context():
        from mcu.models import User
        worker_id = db.session.scalar(db.select(User.id).where(User.role == "field"))
    other = make.user("field", "Дороги")
    assigned = make.incident(department_id=roads, assignee_id=worker_id)
    elsewhere = make.incident(department_id=roads, assignee_id=other)
    free = make.incident(department_id=roads)
    unrouted = make.incident(department_id=None)
    operator, _ = signed_in(app, make, "operator")

    def shown(client, path):
        response = client.get(path)
        assert response.status_code == 200
        return {int(i) for i in re.findall(r'data-id="(\d+)"', response.get_data(as_text=True))}

    assert shown(worker, "/board?mine=1") == {assigned}
    assert shown(head, "/board?mine=1") == {free}
    assert shown(head, "/board") == {assigned, elsewhere, free}
    assert shown(operator, "/board?mine=1") == {unrouted}
    assert listed(head.get("/incidents/?mine=1").get_data(as_text=True)) == {free}


def test_bad_deadline_filter_values_are_dropped_with_a_notice(client, auth, make):
    auth.as_role(make, "operator")
    make.incident(text="Яма")
    for query, notice in (("deadline=yesterday", "Срок «yesterday» не найден, фильтр не применён."),
                          ("mine=yes", "Фильтр «Мои» понимает только «1», а не «yes»: не применён.")):
        for path in ("/board?", "/incidents/?"):
            response = client.get(path + query)
            assert response.status_code == 400 and notice in response.get_data(as_text=True), (path, query)
            assert "Яма" in response.get_data(as_text=True)
