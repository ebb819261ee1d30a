"""Authorization matrix: every role against every state-changing endpoint, and no GET that changes state.

HOW TO ADD A ROW: every rule in app.url_map with POST/PUT/PATCH/DELETE needs a row in MATRIX below
(test_every_state_changing_endpoint_has_a_row fails otherwise, naming what is missing).
A row is Row(endpoint, target, outcomes, data):
  endpoint  the Flask endpoint name, e.g. "incidents.move";
  target    which sample incident the URL's incident_id points at (None: the URL has no incident):
              "own"   the head's department, assigned to the field worker under test,
              "peer"  the head's department, assigned to another field worker of it,
              "other" another department, assigned to nobody;
            (a sample FeedSource exists too: args={"source_id": "{source}"}; a RoutingRule:
            args={"rule_id": "{rule}"}; an uploaded
            import file of the actor: args={"token": "{upload}"}; a photo on each sample incident:
            args={"photo_id": "{own_photo}"});
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
import io
import time
from dataclasses import dataclass, field

import pytest
from conftest import PASSWORD, csrf_from, tables
from PIL import Image
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash

from mcu.extensions import db
from mcu.models import Department, DisplayToken, FeedSource, Incident, Photo, RoutingRule, Topic, User
from mcu.security import LAST_SEEN_KEY
from mcu.shortcuts.models import AnswerTemplate, SavedView

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
    note: str = ""  # tells apart two rows of one endpoint and target in test ids


SAMPLE_CSV = "ID;Дата поступления;Канал;Автор;Текст;Тематика\nX-1;05.01.2026 10:00;Инцидент-менеджмент ЦУР;" \
             "Житель;Яма во дворе;Дороги\n".encode()


def sample_file():
    return (io.BytesIO(SAMPLE_CSV), "sample.csv")


def sample_photo():
    """A small real JPEG, as a phone's camera sends it."""
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    out.seek(0)
    return (out, "photo.jpg")


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    """Photos of the sample sends go to a folder of the test's own."""
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))


SOURCE_FORM = {"name": "Новый источник", "kind": "cur_json", "url": "https://feed.example.org/im",
               "interval_seconds": "120", "enabled": "y"}

MATRIX = [
    #   endpoint        target   admin operator head field viewer anonymous
    Row("auth.login", None, (OK, OK, OK, OK, OK, OK),
        data={"login": "{spare_login}", "password": PASSWORD}),
    Row("auth.logout", None, (OK, OK, OK, OK, OK, LOGIN)),
    # moves and answers (mcu/incidents/actions.py): role right from mcu/roles.py AND the card in reach
    *[Row("incidents.move", t, o, data={"to_status": "in_progress", "version": "{version}"}, note="status")
      for t, o in [("own", (OK, OK, OK, OK, DENY, LOGIN)),
                   ("peer", (OK, OK, OK, HIDE, DENY, LOGIN)),
                   ("other", (OK, OK, HIDE, HIDE, DENY, LOGIN))]],
    *[Row("incidents.move", t, o, note="reroute",
          data={"to_department": "{other_department}", "text": "Не наш участок", "version": "{version}"})
      for t, o in [("own", (OK, OK, DENY, DENY, DENY, LOGIN)),
                   ("other", (OK, OK, HIDE, HIDE, DENY, LOGIN))]],
    *[Row("incidents.move", t, o, note="return",
          data={"to_department": "unrouted", "text": "Не по компетенции", "version": "{version}"})
      for t, o in [("own", (OK, OK, OK, DENY, DENY, LOGIN)),
                   ("other", (OK, OK, HIDE, HIDE, DENY, LOGIN))]],
    *[Row("incidents.answer", t, o, state={"status": "in_progress"},
          data={"text": "Яму заделают до пятницы.", "kind": "interim", "version": "{version}"})
      for t, o in [("own", (OK, DENY, OK, DENY, DENY, LOGIN)),
                   ("peer", (OK, DENY, OK, HIDE, DENY, LOGIN)),
                   ("other", (OK, DENY, HIDE, HIDE, DENY, LOGIN))]],
    Row("incidents.assign", "own", (OK, DENY, OK, DENY, DENY, LOGIN),
        data={"assignee": "{peer_user}", "version": "{version}"}),
    Row("incidents.assign", "peer", (OK, DENY, OK, HIDE, DENY, LOGIN),
        data={"assignee": "{field_user}", "version": "{version}"}),
    Row("incidents.assign", "other", (OK, DENY, HIDE, HIDE, DENY, LOGIN),
        data={"assignee": "", "version": "{version}"}),
    *[Row("incidents.comment", t, o, data={"text": "Выехали на место."})
      for t, o in [("own", (OK, OK, OK, OK, DENY, LOGIN)),
                   ("peer", (OK, OK, OK, HIDE, DENY, LOGIN)),
                   ("other", (OK, OK, HIDE, HIDE, DENY, LOGIN))]],
    Row("incidents.duplicate", "own", (OK, OK, DENY, DENY, DENY, LOGIN),
        data={"original": "{peer_incident}", "version": "{version}"}),
    Row("incidents.duplicate", "peer", (OK, OK, DENY, HIDE, DENY, LOGIN),
        data={"original": "{own_incident}", "version": "{version}"}),
    Row("incidents.duplicate", "other", (OK, OK, HIDE, HIDE, DENY, LOGIN),
        data={"original": "{own_incident}", "version": "{version}"}),
    Row("incidents.create", None, (OK, OK, DENY, DENY, DENY, LOGIN),
        data={"channel": "direct_admin", "platform": "ВКонтакте", "author": "Житель", "text": "Во дворе не вывозят мусор",
              "topic": "{topic}", "department": "", "received_at": "2026-01-05T10:00"}),
    # bulk work (mcu/incidents/bulk.py): the role's right for the action AND every card in reach (issue 14)
    *[Row("incidents.bulk", t, o, data={"action": "take", "card": "{" + t + "_incident}:{version}"}, note="take")
      for t, o in [("own", (OK, OK, OK, DENY, DENY, LOGIN)),
                   ("other", (OK, OK, HIDE, DENY, DENY, LOGIN))]],
    *[Row("incidents.bulk", t, o, note="assign",
          data={"action": "assign", "card": "{" + t + "_incident}:{version}", "assignee": "{peer_user}"})
      for t, o in [("own", (OK, DENY, OK, DENY, DENY, LOGIN))]],
    Row("incidents.bulk", "own", (OK, OK, DENY, DENY, DENY, LOGIN), note="route",
        data={"action": "route", "card": "{own_incident}:{version}", "to_department": "{other_department}",
              "text": "Не наш участок"}),
    Row("incidents.bulk", "own", (OK, OK, DENY, DENY, DENY, LOGIN), note="merge",
        data={"action": "merge", "card": "{own_incident}:{version}", "original": "{peer_incident}"}),
    *[Row("incidents.bulk", t, o, state={"status": "in_progress"}, note="answer",
          data={"action": "answer", "card": "{" + t + "_incident}:{version}", "template": "{template}",
                "kind": "interim"})
      for t, o in [("own", (OK, DENY, OK, DENY, DENY, LOGIN))]],
    # answer templates and saved views (mcu/shortcuts): templates by admins (all) and heads (their department's);
    # a saved view by its owner only
    Row("shortcuts.save_template", None, (OK, DENY, OK, DENY, DENY, LOGIN),
        data={"title": "Выезд", "body": "Бригада выедет по адресу {{адрес}}."}),
    Row("shortcuts.save_template", None, (OK, DENY, OK, DENY, DENY, LOGIN), note="change",
        data={"template": "{template}", "title": "Выезд", "body": "Бригада выедет {{дата}}."}),
    Row("shortcuts.delete_template", None, (OK, DENY, OK, DENY, DENY, LOGIN), args={"template_id": "{template}"}),
    Row("shortcuts.delete_template", None, (OK, DENY, HIDE, DENY, DENY, LOGIN), note="city-wide",
        args={"template_id": "{city_template}"}),
    Row("shortcuts.save_view", None, (OK, OK, OK, OK, OK, LOGIN),
        data={"name": "Мои просроченные", "query": "deadline=overdue&mine=1"}),
    Row("shortcuts.delete_view", None, (OK, OK, OK, OK, OK, LOGIN), args={"view_id": "{own_view}"}),
    Row("shortcuts.delete_view", None, (HIDE, HIDE, HIDE, HIDE, HIDE, LOGIN), note="another's",
        args={"view_id": "{spare_view}"}),
    # imports of CSV/XLSX exports (mcu/imports): "import" right, admin and operator
    Row("imports.receive", None, (OK, OK, DENY, DENY, DENY, LOGIN), data={"file": sample_file}),
    Row("imports.confirm", None, (OK, OK, DENY, DENY, DENY, LOGIN), args={"token": "{upload}"}),
    Row("imports.cancel", None, (OK, OK, DENY, DENY, DENY, LOGIN), args={"token": "{upload}"}),
    # feed sources (mcu/sources): manage_feeds, admin only
    Row("sources.create", None, (OK, DENY, DENY, DENY, DENY, LOGIN), data=SOURCE_FORM),
    Row("sources.update", None, (OK, DENY, DENY, DENY, DENY, LOGIN), data=SOURCE_FORM,
        args={"source_id": "{source}"}),
    Row("sources.enable", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"source_id": "{source}"}),
    Row("sources.disable", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"source_id": "{source}"}),
    Row("sources.poll_now", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"source_id": "{source}"}),
    Row("sources.save_services", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"source_id": "{source}"},
        data={"key": "c:001", "topic": "{topic}"}),
    # keyword routing rules (mcu/rules): manage_feeds, admin only
    Row("rules.add", None, (OK, DENY, DENY, DENY, DENY, LOGIN),
        data={"keyword": "новое правило", "department": "{own_department}"}),
    Row("rules.toggle", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"rule_id": "{rule}"}),
    Row("rules.delete", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"rule_id": "{rule}"}),
    Row("rules.route_topic", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"topic_id": "{topic}"},
        data={"department": "{other_department}"}),
    # people (mcu/users): admins manage everyone; everyone changes only their own password
    Row("users.create", None, (OK, DENY, DENY, DENY, DENY, LOGIN),
        data={"login": "novyi.sotrudnik", "name": "Новый сотрудник", "role": "operator", "password": "dlinnyi-parol"}),
    Row("users.update", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"user_id": "{peer_user}"},
        data={"name": "Другое имя", "role": "field", "department_id": "{own_department}", "new_password": "",
              "active": ""}),
    Row("users.change_password", None, (OK, OK, OK, OK, OK, LOGIN),
        data={"current": PASSWORD, "new": "sovsem-novyi-parol", "repeat": "sovsem-novyi-parol"}),
    # notifications (mcu/notifications): everyone signed in manages only their own
    Row("notifications.mark_read", None, (OK, OK, OK, OK, OK, LOGIN)),
    Row("notifications.save_profile", None, (OK, OK, OK, OK, OK, LOGIN),
        data={"email": "sotrudnik@example.org", "quiet_hours": "1"}),
    Row("notifications.telegram_code", None, (OK, OK, OK, OK, OK, LOGIN)),
    # field work (mcu/field): progress steps, comments and photos by the assigned field worker only
    *[Row("field.send", t, o, data={"step": "on_way", "version": "{version}"}, note="step")
      for t, o in [("own", (DENY, DENY, DENY, OK, DENY, LOGIN)),
                   ("peer", (DENY, DENY, DENY, HIDE, DENY, LOGIN)),
                   ("other", (DENY, DENY, HIDE, HIDE, DENY, LOGIN))]],
    *[Row("field.send", t, o, data={"tag": "after", "photos": sample_photo}, note="photo")
      for t, o in [("own", (DENY, DENY, DENY, OK, DENY, LOGIN)),
                   ("peer", (DENY, DENY, DENY, HIDE, DENY, LOGIN))]],
    # a photo into the answer: who answers the incident (admin, its department's head)
    *[Row("field.photo_answer", t, o, data={"attach": "1"}, args={"photo_id": "{" + t + "_photo}"})
      for t, o in [("own", (OK, DENY, OK, DENY, DENY, LOGIN)),
                   ("peer", (OK, DENY, OK, HIDE, DENY, LOGIN)),
                   ("other", (OK, DENY, HIDE, HIDE, DENY, LOGIN))]],
    # the walls' display tokens (mcu/wall): admins only
    Row("wall.create_token", None, (OK, DENY, DENY, DENY, DENY, LOGIN), data={"name": "Новая стена"}),
    Row("wall.revoke_token", None, (OK, DENY, DENY, DENY, DENY, LOGIN), args={"token_id": "{display_token}"}),
]

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
_HASH = generate_password_hash(PASSWORD, method="scrypt")  # one hash for every sample user


class World:
    """The sample users and incidents one matrix case needs, made fast (no hashing per user)."""

    def __init__(self, app, make, role, state):
        self.app = app
        self.nonce = "sample-nonce"
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
                            department_id=dep, password_hash=_HASH, session_nonce=self.nonce)
                db.session.add(user)
                db.session.flush()
                users[key] = user
            self.users = {k: (u.id, u.login) for k, u in users.items()}
            # an Open311 source on a closed local port: its services page fails fast instead of waiting
            source = FeedSource(name=f"Образец {role}", kind="open311", url="http://127.0.0.1:9/open311",
                                enabled=False)
            db.session.add(source)
            rule = RoutingRule(keyword="образец", department_id=own)
            db.session.add(rule)
            wall = DisplayToken(name=f"Стена {role}", token_hash=f"{role:0>64}")
            db.session.add(wall)
            db.session.commit()
            self.source, self.rule, self.display_token = source.id, rule.id, wall.id
        self.topic = make.topic()
        with app.app_context():
            from mcu.imports import service
            uploader = self.users.get("actor", self.users["spare"])[0]
            folder, limits = service.settings()
            upload = service.accept(io.BytesIO(SAMPLE_CSV), "sample.csv", uploader, folder, limits)
            service.start(folder, upload, limits)  # read at once (small): it waits for confirmation
            self.upload = upload.token
        self.own_department, self.other_department = own, other
        self.incidents = {
            "own": make.incident(department_id=own, assignee_id=self.users["field"][0], **state),
            "peer": make.incident(department_id=own, assignee_id=self.users["peer"][0], **state),
            "other": make.incident(department_id=other, **state),
        }
        with app.app_context():  # a field worker's photo on each (its file is not needed to change its place)
            sample = {"tag": "after", "content_type": "image/jpeg", "size_bytes": 1, "width": 1, "height": 1}
            photos = {k: Photo(incident_id=v, stored_name=f"xx/{k}.jpg", thumb_name=f"xx/{k}-t.jpg", **sample)
                      for k, v in self.incidents.items()}
            db.session.add_all(photos.values())
            db.session.commit()
            self.photos = {k: p.id for k, p in photos.items()}
            templates = [AnswerTemplate(department_id=own, title="Образец", body="Ответ на №{номер}."),
                         AnswerTemplate(department_id=None, title="Общий", body="Спасибо.")]
            owner = self.users.get("actor", self.users["spare"])[0]
            views = [SavedView(user_id=owner, name="Образец", query="mine=1"),
                     SavedView(user_id=self.users["spare"][0], name="Чужой", query="mine=1")]
            db.session.add_all(templates + views)
            db.session.commit()
            self.templates = [t.id for t in templates]
            self.views = [v.id for v in views]

    def values(self, target):
        """Placeholders rows may use in data and args."""
        incident = self.incidents.get(target) if target else None
        with self.app.app_context():
            version = db.session.get(Incident, incident).version if incident else ""
        return {"incident": incident or "", "version": version, "own_department": self.own_department,
                "other_department": self.other_department, "field_user": self.users["field"][0],
                "peer_user": self.users["peer"][0], "spare_login": self.users["spare"][1],
                "source": self.source, "rule": self.rule, "topic": self.topic, "upload": self.upload,
                "display_token": self.display_token,
                **{f"{k}_incident": v for k, v in self.incidents.items()},
                **{f"{k}_photo": v for k, v in self.photos.items()},
                "template": self.templates[0], "city_template": self.templates[1],
                "own_view": self.views[0], "spare_view": self.views[1]}


def fill(template: dict, values: dict) -> dict:
    """Placeholders filled; a callable value is called for a fresh value (e.g. a file to upload)."""
    return {k: (v.format(**values) if isinstance(v, str) else v() if callable(v) else v)
            for k, v in template.items()}


def snapshot(app) -> dict:
    """What a refused request or a GET must not change: row counts, the board version, card versions."""
    with app.app_context():
        state = {t: db.session.scalar(text(f'SELECT count(*) FROM "{t}"')) for t in tables()}
        state["lane_versions"] = sorted(db.session.execute(text("SELECT lane, version FROM lane_state")).all())
        state["incident_versions"] = db.session.scalar(select(func.coalesce(func.sum(Incident.version), 0)))
        state["nonces"] = sorted(db.session.scalars(select(User.session_nonce)).all())
        state["users"] = [tuple(row) for row in db.session.execute(
            select(User.id, User.name, User.role, User.department_id, User.active, User.password_hash)
            .order_by(User.id))]
        state["sources"] = [tuple(row) for row in db.session.execute(
            select(FeedSource.id, FeedSource.name, FeedSource.url, FeedSource.enabled, FeedSource.interval_seconds,
                   FeedSource.field_mapping).order_by(FeedSource.id))]
        state["topics"] = db.session.execute(select(Topic.id, Topic.department_id).order_by(Topic.id)).all()
        state["display_tokens"] = db.session.execute(select(DisplayToken.id, DisplayToken.name,
                                                            DisplayToken.revoked_at).order_by(DisplayToken.id)).all()
        state["rules"] = db.session.execute(select(RoutingRule.id, RoutingRule.keyword, RoutingRule.enabled)
                                            .order_by(RoutingRule.id)).all()
    return state


def sign_in(client, world):
    """Put the actor's identity into the client's session (no password hash: sign-in is tested in
    test_security.py) and return the session's CSRF token, read from a page as a browser would."""
    if "actor" in world.users:
        with client.session_transaction() as sess:
            sess["_user_id"] = f"{world.users['actor'][0]}:{world.nonce}"
            sess["_fresh"] = True
            sess[LAST_SEEN_KEY] = int(time.time())
        return csrf_from(client.get("/no-such-page").get_data(as_text=True))
    return csrf_from(client.get("/login").get_data(as_text=True))


def outcome_of(response) -> str:
    """Classify a response the way the matrix speaks."""
    if response.status_code == 401 and "/login" in response.headers.get("HX-Redirect", ""):
        return LOGIN
    if response.status_code < 400:
        return OK
    return str(response.status_code)


CASES = [pytest.param(row, role, id=f"{row.endpoint}{'-' + row.note if row.note else ''}-{row.target or 'none'}-{role}")
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
    if "source" in name or "feed" in name:
        return world.source
    if "rule" in name:
        return world.rule
    if name == "token":
        return world.upload
    if "photo" in name:
        return world.photos["own"]
    if "template" in name:
        return world.templates[0]
    if "view" in name:
        return world.views[0]
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
