"""Keyword routing rules: an admin edits them on a page (or the CLI) and new incidents follow them."""
from datetime import UTC, datetime

import pytest
from conftest import csrf_from
from sqlalchemy import select

from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Incident, RoutingRule


def ingest(app, text):
    with app.app_context():
        upsert_incidents([Record(external_id=text, received_at=datetime(2026, 11, 30, tzinfo=UTC), raw={},
                                 text=text)], "test-rules")
        return db.session.scalar(select(Incident.department_id).filter_by(external_id=text))


def test_an_admin_adds_a_rule_and_new_messages_follow_it(app, client, auth, make):
    auth.as_role(make, "admin")
    page = client.get("/rules/")
    assert page.status_code == 200 and "Правил пока нет." in page.get_data(as_text=True)
    token = csrf_from(page.get_data(as_text=True))
    assert ingest(app, "Не горит фонарь у дома") is None  # «Не распределено» before the rule
    response = client.post("/rules/", data={"csrf_token": token, "keyword": "  Фонар ",
                                            "department": str(make.department("Благоустройство"))})
    assert response.status_code == 303
    assert "Фонар" in client.get("/rules/").get_data(as_text=True)
    assert ingest(app, "Второй ФОНАРЬ не горит") == make.department("Благоустройство")
    with app.app_context():
        rule_id = db.session.scalar(select(RoutingRule.id))
    assert client.post(f"/rules/{rule_id}/toggle", data={"csrf_token": token}).status_code == 303
    assert ingest(app, "Третий фонарь") is None  # a switched-off rule is not used
    assert client.post(f"/rules/{rule_id}/delete", data={"csrf_token": token}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(RoutingRule.id)) is None


def test_a_bad_rule_is_refused_in_russian_and_the_form_keeps_the_text(app, client, auth, make):
    auth.as_role(make, "admin")
    token = csrf_from(client.get("/rules/").get_data(as_text=True))
    response = client.post("/rules/", data={"csrf_token": token, "keyword": "яма", "department": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Выберите подразделение." in html and 'value="яма"' in html
    assert client.post("/rules/", data={"keyword": "яма", "department": "1"}).status_code == 400  # no CSRF token


@pytest.mark.parametrize("role", ["operator", "head", "field", "viewer"])
def test_only_admins_edit_rules(app, client, auth, make, role):
    auth.as_role(make, role, "Дороги" if role in ("head", "field") else None)
    assert client.get("/rules/").status_code == 403
    token = csrf_from(client.get("/board", follow_redirects=True).get_data(as_text=True))
    response = client.post("/rules/", data={"csrf_token": token, "keyword": "яма",
                                            "department": str(make.department())})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(RoutingRule.id)) is None


def test_rules_command(app):
    runner = app.test_cli_runner()
    assert "добавлено правило" in runner.invoke(args=["rules", "add", "светофор", "--department", "Транспорт"]).output
    assert "«светофор» → Транспорт" in runner.invoke(args=["rules", "list"]).output
    assert runner.invoke(args=["rules", "add", "СВЕТОФОР", "--department", "Транспорт"]).exit_code != 0
    assert runner.invoke(args=["rules", "add", "x", "--department", "Нет такого"]).exit_code != 0
