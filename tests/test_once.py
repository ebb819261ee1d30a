"""Every form is carried out once: a double click on «Ответить», a comment sent twice, a manual entry resent after
a lost answer, two copies of one form at the same moment. The repeat shows the result of the first, never a
conflict with oneself, and nothing is stored twice."""
import re
import threading

from conftest import PASSWORD, csrf_from
from fieldtools import hidden_fields
from sqlalchemy import func, select

from mcu.extensions import db
from mcu.models import Comment, Event, Incident, User

HX = {"HX-Request": "true"}


def form_of(client, path: str, action: str) -> dict:
    """The hidden fields of the form posting to `action` on the page, as the browser would send them."""
    return hidden_fields(client.get(path).get_data(as_text=True), action)


def count(app, model, **where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_a_double_clicked_answer_is_saved_once_and_the_second_click_is_no_conflict(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    card = make.incident()
    fields = form_of(client, f"/incidents/{card}", f"/incidents/{card}/answer")
    data = {**fields, "text": "Яму заделаем до пятницы", "kind": "final"}
    first = client.post(f"/incidents/{card}/answer", data=data)
    second = client.post(f"/incidents/{card}/answer", data=data)
    assert first.status_code == 302 and second.status_code == 302
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "Это уже сделано" in page and "уже изменил" not in page
    assert count(app, Event, incident_id=card, kind="answer") == 1
    with app.app_context():
        assert db.session.get(Incident, card).version == 2


def test_a_double_clicked_answer_through_htmx_is_no_conflict_either(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    card = make.incident()
    fields = form_of(client, f"/incidents/{card}", f"/incidents/{card}/answer")
    data = {**fields, "text": "Ответ жителю", "kind": "interim"}
    headers = {**HX, "X-CSRFToken": fields["csrf_token"]}
    assert client.post(f"/incidents/{card}/answer", data=data, headers=headers).status_code == 200
    again = client.post(f"/incidents/{card}/answer", data=data, headers=headers)
    assert again.status_code == 200
    assert "Это уже сделано" in again.get_data(as_text=True)
    assert count(app, Event, incident_id=card, kind="interim") == 1


def test_a_comment_sent_twice_is_stored_once(app, client, auth, make):
    auth.as_role(make, "operator")
    card = make.incident()
    fields = form_of(client, f"/incidents/{card}", f"/incidents/{card}/comment")
    data = {**fields, "text": "Выехали на место"}
    assert client.post(f"/incidents/{card}/comment", data=data).status_code == 302
    assert client.post(f"/incidents/{card}/comment", data=data).status_code == 302
    assert count(app, Comment, incident_id=card) == 1
    other = form_of(client, f"/incidents/{card}", f"/incidents/{card}/comment")  # a new form: a new comment
    assert client.post(f"/incidents/{card}/comment", data={**other, "text": "Выехали на место"}).status_code == 302
    assert count(app, Comment, incident_id=card) == 2


def test_two_copies_of_one_comment_form_at_the_same_moment_store_one(app, make):
    user_id = make.user("operator")
    card = make.incident()
    with app.app_context():
        login = db.session.get(User, user_id).login
    first = app.test_client()
    token = csrf_from(first.get("/login").get_data(as_text=True))
    first.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    fields = form_of(first, f"/incidents/{card}", f"/incidents/{card}/comment")
    second = app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    data = {**fields, "text": "Одно и то же"}
    barrier, codes = threading.Barrier(2), []

    def send(client):
        barrier.wait()
        codes.append(client.post(f"/incidents/{card}/comment", data=data).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(codes) == [302, 302]
    assert count(app, Comment, incident_id=card) == 1


def test_a_manual_entry_sent_again_leads_to_the_message_entered_the_first_time(app, client, auth, make):
    auth.as_role(make, "operator")
    fields = form_of(client, "/incidents/new", "/incidents/new")
    html = client.get("/incidents/new").get_data(as_text=True)
    received = re.search(r'name="received_at"[^>]*value="([^"]+)"', html).group(1)
    data = {**fields, "channel": "direct_mayor", "author": "Житель", "text": "Не убран снег во дворе",
            "topic": str(make.topic("Благоустройство")), "received_at": received}
    first = client.post("/incidents/new", data=data)
    second = client.post("/incidents/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(app, Incident, source="manual") == 1
