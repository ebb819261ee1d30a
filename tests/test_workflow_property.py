"""Random sequences of moves and reorders (hypothesis) against a simple model of the board: the model says
which moves are legal (the workflow written out by hand below, from ../shared/DESIGN.md), each legal move must
be applied and each illegal one refused, and after every step each card shows exactly once, in the cell of
its status and lane, in the order the moves made: overdue cards first, then the rest, and a card dropped among
cards of another urgency at the edge of its own."""
import re
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from workflow_expected import LEGAL, ON_BOARD, STATUSES

from mcu import urgency
from mcu.extensions import db
from mcu.models import Event, Incident
from mcu.timefmt import city_tz

CARDS = 5
LATE = {0, 3}  # these cards' first answers are overdue: while held to that deadline they lead their cell
HELD_TO_FIRST = {"new", "in_progress", "returned"}

step = st.tuples(st.integers(0, CARDS - 1), st.sampled_from(STATUSES + [None]), st.sampled_from([None, 0, 1]),
                 st.one_of(st.sampled_from(["top", "end"]), st.integers(0, CARDS - 1)))


def board(client) -> dict:
    """{(lane, status): [card ids in order]} as the board shows it."""
    html = client.get("/board").get_data(as_text=True)
    cells = {}
    for piece in html.split('<section class="cell')[1:]:
        lane, status = re.search(r'id="cell-(\w+?)-(\w+)"', piece).groups()
        cells[(lane, status)] = [int(i) for i in re.findall(r'data-id="(\d+)"', piece[:piece.index("</section>")])]
    return cells


# the fixtures are function-scoped on purpose (one signed-in client); each example clears the cards itself
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=14))
def test_random_moves_keep_every_card_in_exactly_one_place(app, client, auth, make, steps):
    if not getattr(client, "_signed_in", False):
        auth.as_role(make, "admin")
        client._signed_in = True
    with app.app_context():
        db.session.execute(delete(Event))
        db.session.execute(delete(Incident))
        db.session.commit()
    lanes = [make.department("Дороги"), make.department("Транспорт")]
    now = datetime.now(UTC)
    ids = [make.incident(department_id=lanes[n % 2], received_at=now - timedelta(hours=1 + n),
                         first_answer_due=now + (timedelta(hours=-1) if n in LATE else timedelta(days=30)))
           for n in range(CARDS)]
    with app.app_context():
        urgency.sweep(now, app.config, city_tz())
    late = {ids[n] for n in LATE}

    def rank(card, status):  # 0: overdue (held to the overdue first answer), 1: the rest
        return 0 if card in late and status in HELD_TO_FIRST else 1

    model = {(str(k), s): [] for k in lanes for s in STATUSES}
    for (lane, status), shown in board(client).items():
        model[(lane, status)] = list(shown)
    assert model[(str(lanes[0]), "new")] == [ids[0], ids[2], ids[4]] and model[(str(lanes[1]), "new")] == [ids[3], ids[1]]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/board").get_data(as_text=True)).group(1)
    for card_n, to_status, lane_n, place in steps:
        card = ids[card_n]
        with app.app_context():
            inc = db.session.get(Incident, card)
            version, status, lane = inc.version, inc.status, str(inc.department_id)
        target_status = to_status or status
        target_lane = lane if lane_n is None else str(lanes[lane_n])
        before = place if isinstance(place, str) else str(ids[place])
        data = {"version": version, "to_status": target_status, "before": before, "text": "причина или ответ"}
        if target_lane != lane:
            data["to_department"] = target_lane
        response = client.post(f"/incidents/{card}/move", data=data,
                               headers={"HX-Request": "true", "X-CSRFToken": csrf})
        legal = target_status == status or (status, target_status) in LEGAL
        assert response.status_code == (200 if legal else 400), (status, target_status, response.get_data(as_text=True))
        if legal:
            model[(lane, status)].remove(card)
            cell = model[(target_lane, target_status)]
            mine = rank(card, target_status)
            top = sum(1 for c in cell if rank(c, target_status) < mine)  # where the card's group starts and ends
            end = sum(1 for c in cell if rank(c, target_status) <= mine)
            if before not in ("top", "end") and int(before) in cell:
                other = rank(int(before), target_status)
                before = "top" if other < mine else ("end" if other > mine else before)
            if before == "top":
                cell.insert(top, card)
            elif before != "end" and int(before) in cell:
                cell.insert(cell.index(int(before)), card)
            else:
                cell.insert(end, card)
        shown = board(client)
        seen = [i for cards in shown.values() for i in cards]
        assert len(seen) == len(set(seen))  # never twice
        with app.app_context():
            rows = db.session.execute(select(Incident.id, Incident.status, Incident.department_id)).all()
        for ident, st_, dep in rows:  # every card on the board in exactly the column of its state
            where = [k for k, cards in shown.items() if ident in cards]
            assert where == ([(str(dep), st_)] if st_ in ON_BOARD else [])
        for key, cards in shown.items():
            assert cards == model.get(key, []), (key, steps)
