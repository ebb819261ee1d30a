"""A move through the Flask test client with 2,000 open cards: request to response, fragment included."""
import statistics
import time

from sqlalchemy import select

from mcu.extensions import db
from mcu.models import Department, Incident, User

from .data import fill, make_app

RUNS = 60


def run(report) -> None:
    app = make_app()
    fill(app, total=20_000, open_count=2_000)
    client = app.test_client()
    with app.app_context():
        roads = db.session.scalar(select(Department.id).filter_by(short_name="Дороги"))
        head = db.session.scalar(select(User.login).filter_by(role="head", department_id=roads))
        card = db.session.scalar(select(Incident.id).where(Incident.status == "new", Incident.department_id == roads)
                                 .order_by(Incident.id).limit(1))
        cell = db.session.scalar(select(db.func.count()).where(Incident.status.in_(("new", "in_progress")),
                                                               Incident.department_id == roads))
    assert client.post("/login", data={"login": head, "password": "demo"}).status_code == 302
    headers = {"HX-Request": "true"}
    statuses = ["in_progress", "new"]
    version = 1
    times, cpu = [], []
    for n in range(RUNS + 5):
        to_status, from_status = statuses[n % 2], statuses[(n + 1) % 2]
        data = {"version": version, "to_status": to_status, "from_status": from_status,
                "from_department": roads, "before": "top", "board": ""}
        start, start_cpu = time.perf_counter(), time.process_time()
        response = client.post(f"/incidents/{card}/move", data=data, headers=headers)
        elapsed, used = time.perf_counter() - start, time.process_time() - start_cpu
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        version += 1
        if n >= 5:  # the first few warm templates and caches
            times.append(elapsed)
            cpu.append(used)
    report("move_request_median_2000_open", statistics.median(times) * 1000, "ms")
    report("move_request_p90_2000_open", sorted(times)[int(len(times) * 0.9)] * 1000, "ms")
    # CPU time of the request in this process: less disturbed than wall time when the machine is busy
    report("move_request_cpu_median_2000_open", statistics.median(cpu) * 1000, "ms")
    report("move_cells_cards_rendered", cell, "cards")
