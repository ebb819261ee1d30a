"""Arbitrary text in every parameter of every endpoint never gets a 5xx (hypothesis): Unicode digits, huge
numbers, dates of year 1, control characters, HTML, empty values. A person gets a Russian 4xx for what cannot
be understood, and the server keeps its composure."""
import re
from urllib.parse import quote

import pytest
from conftest import csrf_from
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcu.extensions import db
from mcu.models import FeedSource, RoutingRule, User
from mcu.shortcuts.models import AnswerTemplate, SavedView

# every name a form or a query string of the app uses (templates' name="…" and the views' request.args/form)
NAMES = ["active", "assignee", "before", "board", "channel", "current", "cursor", "department", "department_id",
         "form_token", "from_department", "from_status", "key", "keyword", "kind", "limit", "login", "name", "new",
         "new_password", "next", "original", "page", "password", "q", "repeat", "role", "show", "since", "status",
         "text", "to_department", "to_status", "topic", "v", "version", "url", "interval_seconds", "enabled",
         "field_mapping", "credentials", "author", "platform", "address", "received_at", "urgent", "token",
         "year", "month", "start", "end", "week", "quarter", "table", "step", "tag", "photo_tag", "attach",
         "action", "card", "template", "query", "title", "body", "unassigned", "section", "menu", "view", "h", "t"]
SPECIAL = ["²", "٣", "99999999999999999999999", "2147483648", "-1", "0", "1e9", "0001-01-01T00:00",
           "9999-12-31T23:59", "0001-01-01", "unrouted", "none", "new", "resolved", "top", "end",
           "<script>alert(1)</script>", "'\"", "1.5", "0x10", " 1 ", "\u200b", "NaN", "inf", "%", "_", "\\", "/",
           "//evil.example", "2021", "2021-W60", "2021-13", "2021-02-30", "1970-01-01", "12,5", "true", "",
           "{\"fields\": []}", "я" * 3000]
NASTY = st.one_of(st.text(max_size=40), st.sampled_from(SPECIAL),
                  st.integers(min_value=-(10 ** 30), max_value=10 ** 30).map(str))
SKIP = {"auth.logout", "static"}  # signing out would end the example's session, not test anything


def endpoints(app) -> list:
    with app.test_request_context():
        return sorted(((rule.endpoint, rule.rule, sorted(rule.methods & {"GET", "POST"}), sorted(rule.arguments))
                       for rule in app.url_map.iter_rules() if rule.endpoint not in SKIP), key=lambda r: r[1])


@pytest.fixture
def world(app, client, auth, make):
    """An admin's signed-in client and ids of one of everything a URL may name."""
    auth.as_role(make, "admin")
    incident = make.incident()
    with app.app_context():
        source = FeedSource(name="Лента", kind="cur_json", url="http://127.0.0.1:9/x", interval_seconds=60,
                            enabled=False, cursor="", credentials="")
        rule = RoutingRule(keyword="яма", department_id=make.department("Дороги"), position=1)
        admin = db.session.scalar(db.select(User.id).limit(1))
        template = AnswerTemplate(department_id=None, title="Общий", body="Ответ на №{номер}.")
        view = SavedView(user_id=admin, name="Мои", query="mine=1")
        db.session.add_all([source, rule, template, view])
        db.session.commit()
        ids = {"incident_id": incident, "source_id": source.id, "rule_id": rule.id, "user_id": admin,
               "template_id": template.id, "view_id": view.id}
    token = csrf_from(client.get("/board").get_data(as_text=True))
    return client, token, ids


def url_for_rule(rule: str, arguments: list, ids: dict, nasty: str | None) -> str:
    """The rule with its arguments filled: the world's ids, or (``nasty`` given) that text in every one."""
    for name in arguments:
        value = str(ids.get(name, 1)) if nasty is None else quote(nasty, safe="")
        rule = re.sub(rf"<(?:[a-z]+:)?{name}>", value or "x", rule)
    return rule


def send(client, token, method, url, values, htmx):
    headers = {"X-CSRFToken": token, **({"HX-Request": "true"} if htmx else {})}
    if method == "GET":
        return client.get(url, query_string=values, headers=headers)
    return client.post(url, data=values, headers=headers)


def endpoints_of(app_factory=None) -> list:
    """Every endpoint of the app as (endpoint, rule, methods, arguments), read from a fresh app at collection."""
    from mcu import create_app
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "DEMO": False})
    return endpoints(app)


@pytest.mark.parametrize("endpoint", endpoints_of(), ids=lambda e: f"{e[0]}")
def test_each_hostile_value_in_every_parameter_at_once_gets_no_5xx(app, world, endpoint):
    """Deterministic: for each hostile value, every parameter (and every URL argument) carries it."""
    client, token, ids = world
    name, rule, methods, arguments = endpoint
    for value in SPECIAL:
        for url in {url_for_rule(rule, arguments, ids, None), url_for_rule(rule, arguments, ids, value)}:
            for method in methods:
                response = send(client, token, method, url, dict.fromkeys(NAMES, value), htmx=method == "POST")
                assert response.status_code < 500, (name, method, url, value, response.get_data(as_text=True)[:400])


@pytest.mark.parametrize("endpoint", endpoints_of(), ids=lambda e: f"{e[0]}")
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_no_parameter_of_any_endpoint_gets_a_5xx(app, world, endpoint, data):
    client, token, ids = world
    name, rule, methods, arguments = endpoint
    method = data.draw(st.sampled_from(methods), label="method")
    values = data.draw(st.fixed_dictionaries({}, optional={n: NASTY for n in NAMES}), label="values")
    nasty_url = data.draw(st.booleans(), label="hostile URL")
    url = url_for_rule(rule, arguments, ids, data.draw(NASTY, label="url value") if nasty_url else None)
    response = send(client, token, method, url, values, data.draw(st.booleans(), label="htmx"))
    assert response.status_code < 500, (name, method, url, values, response.get_data(as_text=True)[:500])
