"""Attempt limits hold however many web processes serve: sign-in counters live in the stack's Redis (in memory,
said in the log, only while no Redis answers), and the change-password form has a limit of its own."""
import os
import re
import tempfile

import pytest
from conftest import PASSWORD, csrf_from
from proctools import Processes, env_for, leftovers, login_attempt
from werkzeug.security import check_password_hash

from mcu.extensions import db
from mcu.models import User


def login_of(app, user_id) -> str:
    with app.app_context():
        return db.session.get(User, user_id).login


@pytest.fixture
def procs():
    running = Processes()
    yield running
    running.stop()
    assert leftovers() == []


def test_two_web_processes_count_sign_in_failures_together_in_redis(app, make, redis_conn, redis_url, procs):
    login = login_of(app, make.user("operator"))
    env = env_for(app, redis_url)
    first, second = procs.web(env), procs.web(env)
    for base in (first, second, first, second, first):  # 5 failures in all, never 5 in one process
        assert login_attempt(base, login, "wrong") == 401
    assert login_attempt(second, login, PASSWORD) == 429  # the 5/minute of one login from one address is used up
    assert any(b"mcu-limits" in key for key in redis_conn.scan_iter())


def test_with_no_redis_the_limits_count_in_memory_and_the_log_says_so(app, make, procs):
    login = login_of(app, make.user("operator"))
    dead = "unix://" + os.path.join(tempfile.mkdtemp(prefix="mcu-no-redis-"), "redis.sock")
    with tempfile.TemporaryFile() as log:
        base = procs.web(env_for(app, dead), log=log)
        for _ in range(5):
            assert login_attempt(base, login, "wrong") == 401  # the page works without Redis
        assert login_attempt(base, login, PASSWORD) == 429
        procs.stop()
        log.seek(0)
        assert "falling back to in-memory storage" in log.read().decode()


def change_password(client, current, new="new-password-9", repeat=None):
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    return client.post("/account/password", data={"current": current, "new": new, "repeat": repeat or new,
                                                  "csrf_token": token})


def test_the_change_password_form_stops_guessing_the_current_password(app, limited, make):
    login = login_of(app, make.user("head", "Дороги"))
    client = limited.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token}).status_code == 302
    for _ in range(5):
        assert change_password(client, "not-my-password").status_code == 400
    blocked = change_password(client, PASSWORD)  # even the right one waits now
    assert blocked.status_code == 429
    notice = re.sub(r"\s+", " ", blocked.get_data(as_text=True))
    assert "Слишком много неверных попыток ввести текущий пароль" in notice
    with app.app_context():  # the password is unchanged
        assert check_password_hash(db.session.scalar(db.select(User).filter_by(login=login)).password_hash, PASSWORD)


def test_a_mistyped_repeat_or_a_too_short_new_password_is_not_a_guess(app, limited, make):
    login = login_of(app, make.user("operator"))
    client = limited.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token}).status_code == 302
    for _ in range(5):
        assert change_password(client, PASSWORD, repeat="something-else").status_code == 400
        assert change_password(client, PASSWORD, new="short").status_code == 400
    assert change_password(client, PASSWORD).status_code == 303
