"""The idle poll answered before Flask (mcu/board/idle.py): the same empty 204 with the same headers as the view,
for the same people only; anything else, Flask answers as before."""
import pytest
from flask import request_started
from test_live import HX, poll_url, signed_in

from mcu import security
from mcu.extensions import db
from mcu.lanes import bump

IGNORED = {"Date", "Server", "Content-Length", "Content-Type"}


@pytest.fixture
def flask_requests(app):
    """The requests Flask itself handled while the test ran."""
    seen = []

    def started(_sender, **_extra):
        seen.append(1)

    request_started.connect(started, app)
    yield seen
    request_started.disconnect(started, app)


def headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in IGNORED}


def test_an_idle_poll_never_reaches_flask_and_answers_as_the_view_does(app, make, monkeypatch, flask_requests):
    make.incident(text="Тихая карточка")
    client, board = signed_in(app, make, "operator")
    url = poll_url(board)
    by_view = client.get(url, headers=HX)  # LANE_VERSION_TTL 0: the process's copy is never fresh, Flask answers
    assert by_view.status_code == 204 and flask_requests
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    app.extensions.pop("mcu_lane_versions")
    assert client.get(url, headers=HX).status_code == 204  # Flask reads the versions once
    flask_requests.clear()
    answers = [client.get(url, headers=HX) for _ in range(10)]
    assert [a.status_code for a in answers] == [204] * 10 and answers[0].get_data() == b""
    assert flask_requests == []
    assert headers(answers[0]) == headers(by_view)


def test_a_change_a_stranger_a_forged_cookie_and_an_idle_session_go_to_flask(app, make, monkeypatch, flask_requests):
    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    roads = make.department("Дороги")
    make.incident(text="Карточка", department_id=roads)
    client, board = signed_in(app, make, "operator")
    (again, other_board), (third, third_board) = signed_in(app, make, "operator"), signed_in(app, make, "operator")
    url, url_again, url_third = poll_url(board), poll_url(other_board), poll_url(third_board)
    assert client.get(url, headers=HX).status_code == 204
    flask_requests.clear()

    stranger = app.test_client()  # a session of nobody signed in (the sign-in page's): sent to sign in
    assert stranger.get("/login").status_code == 200 and stranger.get_cookie("session") is not None
    flask_requests.clear()
    assert stranger.get(url, headers=HX).status_code in (401, 302) and len(flask_requests) == 1
    cookie = client.get_cookie("session").value
    forged = app.test_client()
    forged.set_cookie("session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    assert forged.get(url, headers=HX).status_code in (401, 302) and len(flask_requests) == 2

    later = security.now() + (app.config["IDLE_TIMEOUT_MINUTES"] + 1) * 60
    monkeypatch.setattr(security, "now", lambda: later)  # the person left the desk: the view signs them out
    assert client.get(url, headers=HX).status_code in (401, 302) and len(flask_requests) == 3
    monkeypatch.undo()

    monkeypatch.setitem(app.config, "LANE_VERSION_TTL", 60)
    with app.app_context():
        bump([roads])
        db.session.commit()
    app.extensions.pop("mcu_lane_versions")  # as 60 s later: the process's next copy holds the change
    assert third.get(url_third, headers=HX).status_code == 200  # (this poll made that copy, through Flask)
    flask_requests.clear()
    changed = again.get(url_again, headers=HX)  # another screen, still at the old versions: the copy is fresh
    assert changed.status_code == 200 and f'id="lane-{roads}"' in changed.get_data(as_text=True)
    assert len(flask_requests) == 1
