"""Authorization matrix: every role against every state-changing endpoint, and no GET that changes state.

HOW TO ADD A ROW: every rule in app.url_map with POST/PUT/PATCH/DELETE needs a row in MATRIX below
(test_every_state_changing_endpoint_has_a_row fails otherwise, naming what is missing).
A row is Row(endpoint, target, outcomes, data):
  endpoint  the Flask endpoint name, e.g. "incidents.move";
  target    which sample incident the URL's incident_id points at (None: the URL has no incident):
              "own"   the head's department, assigned to the field worker under test,
              "peer"  the head's department, assigned to another field worker of it,
              "other" another department, assigned to nobody;
  outcomes  six outcomes in ROLES order (admin, operator, head, field, viewer, anonymous):
              OK      the action is carried out (any status below 400 that is not the sign-in page),
              DENY    403, HIDE 404, NO 403 or 404 (an object the role may not see),
              LOGIN   sent to sign in (requests are made as htmx: 401 + HX-Redirect to /login);
  data      form fields; "{name}" placeholders are filled from World.values() (incident, version,
            own_department, other_department, field_user, peer_user, spare_login, ...);
  state     optional column values for the sample incidents before the request (e.g. a status);
  args      optional extra URL arguments (same placeholders).
Every refused request must leave the database as it was; that is checked too.
"""
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from conftest import PASSWORD, TABLES, csrf_from
from mcu.extensions import db
from mcu.models import Department, Incident, User

ROLES = ("admin", "operator", "head", "field", "viewer", "anonymous")
OK, DENY, HIDE, NO, LOGIN = "ok", "403", "404", "403/404", "login"
OWN_DEPARTMENT, OTHER_DEPARTMENT = "Дороги", "Транспорт"


@dataclass
class Row:
    endpoint: str
    target: str | None
    outcomes: tuple
    data: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)


MATRIX = [
    #   endpoint        target   admin operator head field viewer anonymous
    Row("auth.login", None, (OK, OK, OK, OK, OK, OK),
        data={"login": "{spare_login}", "password": PASSWORD}),
    Row("auth.logout", None, (OK, OK, OK, OK, OK, LOGIN)),
]

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_HASH = generate_password_hash(PASSWORD, method="scrypt")  # one hash for every sample user


class World:
    """The sample users and incidents one matrix case needs, made fast (no hashing per user)."""

    def __init__(self, app, make, role, state):
        self.app = app
        with app.app_context():
            own = db.session.scalar(select(Department.id).filter_by(short_name=OWN_DEPARTMENT))
            other = db.session.scalar(select(Department.id).filter_by(short_name=OTHER_DEPARTMENT))
            users = {}
            for key, user_role, dep in [("actor", role, own if role in ("head", "field") else None),
                                        ("field", "field", own), ("peer", "field", own),
                                        ("spare", "viewer", None)]:
                if key == "field" and role == "field":
                    users[key] = users["actor"]
                    continue
                if key == "actor" and role == "anonymous":
                    continue
                user = User(login=f"{key}-{role}", name=f"{key} {role}", role=user_role,
                            department_id=dep, password_hash=_HASH)
                db.session.add(user)
                db.session.flush()
                users[key] = user
            self.users = {k: (u.id, u.login) for k, u in users.items()}
            db.session.commit()
        self.own_department, self.other_department = own, other
        self.incidents = {
            "own": make.incident(department_id=own, assignee_id=self.users["field"][0], **state),
            "peer": make.incident(department_id=own, assignee_id=self.users["peer"][0], **state),
            "other": make.incident(department_id=other, **state),
        }

    def values(self, target):
        """Placeholders rows may use in data and args."""
        incident = self.incidents.get(target) if target else None
        with self.app.app_context():
            version = db.session.get(Incident, incident).version if incident else ""
        return {"incident": incident or "", "version": version, "own_department": self.own_department,
                "other_department": self.other_department, "field_user": self.users["field"][0],
                "peer_user": self.users["peer"][0], "spare_login": self.users["spare"][1],
                **{f"{k}_incident": v for k, v in self.incidents.items()}}


def fill(template: dict, values: dict) -> dict:
    return {k: (v.format(**values) if isinstance(v, str) else v) for k, v in template.items()}


def snapshot(app) -> dict:
    """What a refused request or a GET must not change: row counts, the board version, card versions."""
    with app.app_context():
        state = {t: db.session.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in TABLES}
        state["board_version"] = db.session.scalar(text("SELECT version FROM board_state WHERE id = 1"))
        state["incident_versions"] = db.session.scalar(select(func.coalesce(func.sum(Incident.version), 0)))
        state["nonces"] = sorted(db.session.scalars(select(User.session_nonce)).all())
    return state


def sign_in(client, world):
    """Sign the client in as the actor (or stay anonymous); return a CSRF token for the session."""
    if "actor" in world.users:
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"login": world.users["actor"][1], "password": PASSWORD,
                                               "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return csrf_from(client.get("/incidents/").get_data(as_text=True))
    return csrf_from(client.get("/login").get_data(as_text=True))


def outcome_of(response) -> str:
    """Classify a response the way the matrix speaks."""
    if response.status_code == 401 and "/login" in response.headers.get("HX-Redirect", ""):
        return LOGIN
    if response.status_code < 400:
        return OK
    return str(response.status_code)


CASES = [pytest.param(row, role, id=f"{row.endpoint}-{row.target or 'none'}-{role}")
         for row in MATRIX for role in ROLES]


@pytest.mark.parametrize("row, role", CASES)
def test_authorization_matrix(app, make, row, role):
    expected = row.outcomes[ROLES.index(role)]
    world = World(app, make, role, row.state)
    client = app.test_client()
    token = sign_in(client, world)
    values = world.values(row.target)
    with app.test_request_context():
        from flask import url_for
        args = fill(row.args, values)
        if row.target:
            args.setdefault("incident_id", values["incident"])
        url = url_for(row.endpoint, **args)
    before = snapshot(app)
    response = client.post(url, data={**fill(row.data, values), "csrf_token": token},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    got = outcome_of(response)
    wanted = {"403", "404"} if expected == NO else {expected}
    assert got in wanted, f"{role} on {row.endpoint} ({row.target}): expected {expected}, got " \
                          f"{response.status_code}: {response.get_data(as_text=True)[:300]}"
    if expected != OK:
        assert snapshot(app) == before, f"{role} was refused {row.endpoint} but the database changed"


def state_changing_endpoints(app) -> set:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & STATE_CHANGING}


def test_every_state_changing_endpoint_has_a_row(app):
    missing = state_changing_endpoints(app) - {row.endpoint for row in MATRIX}
    assert not missing, ("state-changing endpoints without a row in MATRIX (tests/test_authz_matrix.py): "
                         + ", ".join(sorted(missing)))


def test_matrix_rows_are_well_formed(app):
    existing = state_changing_endpoints(app)
    for row in MATRIX:
        assert row.endpoint in existing, f"MATRIX names {row.endpoint}, which takes no POST/PUT/PATCH/DELETE"
        assert len(row.outcomes) == len(ROLES), row
        assert set(row.outcomes) <= {OK, DENY, HIDE, NO, LOGIN}, row
        assert row.target in (None, "own", "peer", "other"), row
        assert row.outcomes[-1] == LOGIN or row.endpoint == "auth.login", "anonymous must be sent to sign in"


# --- no GET changes state -------------------------------------------------------------------------

def sample_arg(name: str, world: World) -> int:
    """A sample value for a URL argument, by its name."""
    if "incident" in name:
        return world.incidents["own"]
    if "department" in name or name in ("dep", "dep_id"):
        return world.own_department
    if "user" in name:
        return world.users["field"][0]
    return 1


@pytest.mark.parametrize("role", ROLES)
def test_no_get_changes_state(app, make, role):
    world = World(app, make, role, {})
    client = app.test_client()
    sign_in(client, world)
    urls = []
    with app.test_request_context():
        from flask import url_for
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            urls.append(url_for(rule.endpoint, **{a: sample_arg(a, world) for a in rule.arguments}))
    assert urls
    before = snapshot(app)
    for url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers, buffered=False)
            status = response.status_code
            response.close()  # a stream is not read to its end
            assert status < 500, f"GET {url} as {role}: {status}"
    assert snapshot(app) == before, f"a GET changed the database (role {role})"
