"""The escalation ladder: at the deadline the department's heads are told and the history says «Просрочено»;
ESCALATE_OPERATORS_AFTER_HOURS working hours later the operators are, and the card carries «Эскалация»; each step
once per card and deadline, with two real RQ workers on Redis and after a restart; an answered card leaves the
ladder, and a new deadline starts it again."""
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import csrf_from
from rq import Queue
from rq.cron import CronScheduler
from standins import Mailbox
from test_notifications import choose, rows

from mcu import escalation
from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.lanes import bump
from mcu.models import EscalationStep, Event, Incident

CITY = ZoneInfo("Asia/Vladivostok")
RQ = os.path.join(os.path.dirname(sys.executable), "rq")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sweep(app, now):
    with app.app_context():
        return escalation.sweep(now, app.config, CITY)


def history(app, card) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(db.select(Event.kind).where(Event.incident_id == card,
                                                                   Event.kind.in_(("overdue", "escalated")))
                                       .order_by(Event.id)))


def steps(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(EscalationStep.id)))


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.close()


def test_two_workers_take_each_step_once_and_tell_each_person_once(app, make, redis_conn, redis_url, mailbox):
    head, operator = make.user("head", "Дороги"), make.user("operator")
    make.user("head", "Транспорт")  # another department's head is not told
    choose(app, head, email="head@city.example", channels=("app", "email"))
    choose(app, operator, email="operator@city.example", channels=("app", "email"))
    card = make.incident(first_answer_due=datetime.now(UTC) - timedelta(days=30))
    queue = Queue(mcu_queue.QUEUE_NAME, connection=redis_conn)
    for _ in range(4):  # ticks that piled up while the workers were away
        queue.enqueue("mcu.jobs.sweep_deadlines")
    env = dict(os.environ, MCU_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MCU_REDIS_URL=redis_url,
               MCU_DEMO="false", MCU_SECRET_KEY="test", MCU_SMTP_HOST="127.0.0.1", MCU_SMTP_PORT=str(mailbox.port),
               MCU_BASE_URL="https://mcu.example.ru")
    workers = [subprocess.Popen([RQ, "worker", "--burst", "-u", redis_url, mcu_queue.QUEUE_NAME], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    for worker in workers:
        assert worker.wait(180) == 0
    assert len(mailbox.texts("head@city.example")) == 1 and len(mailbox.texts("operator@city.example")) == 1
    assert f"Сообщение №{card} просрочено" in mailbox.texts("head@city.example")[0]
    assert f"Эскалация: сообщение №{card} просрочено" in mailbox.texts("operator@city.example")[0]
    assert "https://mcu.example.ru/incidents/" in mailbox.texts("operator@city.example")[0]
    assert history(app, card) == ["overdue", "escalated"] and steps(app) == 2
    assert sorted((e, c, s) for e, c, s, _u in rows(app, user_id=head)) == [("overdue", "app", "sent"),
                                                                             ("overdue", "email", "sent")]
    assert sorted((e, c, s) for e, c, s, _u in rows(app, user_id=operator)) == [("escalated", "app", "sent"),
                                                                                 ("escalated", "email", "sent")]
    # a restart: the same sweep again takes no step and tells nobody
    assert sweep(app, datetime.now(UTC)) == []
    assert history(app, card) == ["overdue", "escalated"] and steps(app) == 2 and len(mailbox.messages) == 2


def test_the_operators_are_told_only_after_the_working_hours_of_the_ladder(app, make):
    head, operator = make.user("head", "Дороги"), make.user("operator")
    card = make.incident(first_answer_due=datetime(2026, 12, 4, 17, 0, tzinfo=CITY))  # Friday 17:00
    sweep(app, datetime(2026, 12, 4, 17, 0, tzinfo=CITY))
    assert history(app, card) == ["overdue"] and [e for e, *_x in rows(app, user_id=head)] == ["overdue"]
    sweep(app, datetime(2026, 12, 7, 11, 59, tzinfo=CITY))  # 1 h Friday + 2 h 59 min Monday: not yet 4 h
    assert history(app, card) == ["overdue"] and rows(app, user_id=operator) == []
    sweep(app, datetime(2026, 12, 7, 12, 0, tzinfo=CITY))
    assert history(app, card) == ["overdue", "escalated"]
    assert [e for e, *_x in rows(app, user_id=operator)] == ["escalated"]


def test_an_escalated_card_says_so_on_the_board_and_in_its_history(app, client, auth, make):
    auth.as_role(make, "operator")
    card = make.incident(first_answer_due=datetime.now(UTC) - timedelta(days=30))
    other = make.incident(first_answer_due=datetime.now(UTC) - timedelta(minutes=1))
    sweep(app, datetime.now(UTC))
    html = client.get("/board").get_data(as_text=True)
    mine = html[html.index(f'id="incident-{card}"'):]
    assert '<strong class="escalated">Эскалация</strong>' in mine[:mine.index("</li>")]
    theirs = html[html.index(f'id="incident-{other}"'):]
    assert "Эскалация" not in theirs[:theirs.index("</li>")]
    detail = client.get(f"/incidents/{card}").get_data(as_text=True)
    assert "Просрочено" in detail and "Эскалация" in detail and "уведомлены операторы МЦУ" in detail
    with app.app_context():  # an interim answer: a new deadline, which no step has escalated
        db.session.execute(db.update(Incident).where(Incident.id == card).values(
            status="interim", resolve_due=datetime.now(UTC) + timedelta(days=9), version=Incident.version + 1))
        bump([make.department("Дороги")])  # as every change of a card does: open screens redraw its lane
        db.session.commit()
    html = client.get("/board").get_data(as_text=True)
    mine = html[html.index(f'id="incident-{card}"'):]
    assert "Эскалация" not in mine[:mine.index("</li>")]


def test_an_answered_card_leaves_the_ladder(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    operator = make.user("operator")
    now = datetime.now(UTC)
    card = make.incident(first_answer_due=now - timedelta(minutes=1))
    sweep(app, now)
    assert history(app, card) == ["overdue"]
    page = client.get("/board").get_data(as_text=True)
    answered = client.post(f"/incidents/{card}/move", data={"version": "1", "to_status": "answered",
                                                            "text": "Ответ дан"},
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    assert answered.status_code == 200
    sweep(app, now + timedelta(days=30))
    assert history(app, card) == ["overdue"] and rows(app, user_id=operator) == []


def test_a_new_deadline_starts_the_ladder_again(app, make):
    card = make.incident(status="interim", first_answer_due=datetime(2026, 11, 2, 10, 0, tzinfo=CITY),
                         resolve_due=datetime(2026, 11, 30, 10, 0, tzinfo=CITY))
    sweep(app, datetime(2026, 12, 1, 10, 0, tzinfo=CITY))
    assert history(app, card) == ["overdue", "escalated"]
    with app.app_context():
        db.session.execute(db.update(Incident).where(Incident.id == card)
                           .values(resolve_due=datetime(2026, 12, 2, 10, 0, tzinfo=CITY)))
        db.session.commit()
    sweep(app, datetime(2026, 12, 2, 10, 0, tzinfo=CITY))
    assert history(app, card) == ["overdue", "escalated", "overdue"] and steps(app) == 3


def test_rq_cron_runs_the_deadline_sweep_and_the_telegram_links(redis_conn):
    scheduler = CronScheduler(connection=redis_conn)
    scheduler.load_config_from_file("mcu.cron")
    names = {job.func_name: job.interval for job in scheduler.get_jobs()}
    assert names["mcu.jobs.sweep_deadlines"] == 30 and names["mcu.jobs.link_telegram_chats"] == 10
