"""A bulk action through the Flask test client: a head assigns 200 cards at once (issue 14), all or nothing in
one transaction, with 6,000 open cards on the board; request to response, redrawn cells included."""
import statistics
import time

from sqlalchemy import select

from mcu.extensions import db
from mcu.models import Department, Incident, User
from mcu.workflow import OPEN_STATUSES

from .data import fill, on_both_databases

RUNS, CARDS = 10, 200


def run(report) -> None:
    on_both_databases(report, _measure, "bulk")


def _measure(report, app, label: str) -> None:
    fill(app, total=20_000, open_count=6_000)
    client = app.test_client()
    with app.app_context():
        roads = db.session.scalar(select(Department.id).filter_by(short_name="Дороги"))
        head = db.session.scalar(select(User.login).filter_by(role="head", department_id=roads))
        workers = []
        for n in (1, 2):
            worker = User(login=f"bench-field-{n}", name=f"Исполнитель {n}", role="field", department_id=roads,
                          password_hash="x")
            db.session.add(worker)
            db.session.flush()
            workers.append(worker.id)
        db.session.commit()
        cards = db.session.scalars(select(Incident.id).where(Incident.department_id == roads,
                                                             Incident.status.in_(OPEN_STATUSES),
                                                             Incident.duplicate_of_id.is_(None))
                                   .order_by(Incident.id).limit(CARDS)).all()
    assert len(cards) == CARDS, len(cards)
    assert client.post("/login", data={"login": head, "password": "demo"}).status_code == 302
    times = []
    for n in range(RUNS + 2):
        with app.app_context():
            versions = dict(db.session.execute(select(Incident.id, Incident.version).where(Incident.id.in_(cards))).all())
        data = {"action": "assign", "assignee": str(workers[n % 2]), "board": "",
                "card": [f"{c}:{versions[c]}" for c in cards]}
        start = time.perf_counter()
        response = client.post("/incidents/bulk", data=data, headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        if n >= 2:
            times.append(elapsed)
    report(f"bulk_assign_200_{label}_median", statistics.median(times) * 1000, "ms")
    report(f"bulk_assign_200_{label}_max", max(times) * 1000, "ms")
