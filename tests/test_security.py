"""Sessions, idle timeout, CSRF, login rate limits and headers, through HTTP as a browser would see them."""
import re
import time
from pathlib import Path

import pytest
from conftest import PASSWORD, csrf_from

from mcu import create_app, security, web
from mcu.auth import passwords
from mcu.extensions import db, limiter
from mcu.models import User

ROOT = Path(__file__).resolve().parent.parent


def login_name(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).login


def page_token(client, path="/board"):
    return csrf_from(client.get(path).get_data(as_text=True))


def alert(html):
    match = re.search(r'role="alert">([^<]*)<', html)
    return match and match.group(1)


# --- sessions -------------------------------------------------------------------------------------

def test_session_cookie_is_httponly_lax_and_no_remember_cookie(app, client, make):
    user = make.user("head", "Дороги")
    client.get("/login")
    response = client.post("/login", data={"login": login_name(app, user), "password": PASSWORD,
                                           "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert session_cookie and "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]
    assert not any(c.startswith("remember_token") for c in cookies)


@pytest.mark.parametrize("settings, secure", [
    ({}, True),  # outside debug the cookie is Secure by default
    ({"DEBUG": True}, False),
    ({"SECURE_COOKIES": False}, False),
    ({"SECURE_COOKIES": True, "DEBUG": True}, True),
])
def test_secure_cookie_setting(settings, secure):
    other = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": False,
                        **settings})
    assert other.config["SESSION_COOKIE_SECURE"] is secure
    assert other.config["SESSION_COOKIE_HTTPONLY"] is True
    assert other.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_cookie_from_before_login_is_not_signed_in_afterwards(app, client, auth, make):
    client.get("/login")
    before = client.get_cookie("session").value
    with client.session_transaction() as sess:
        token_before = sess.get("csrf_token")
    auth.as_role(make, "operator")
    with client.session_transaction() as sess:
        assert sess.get("csrf_token") != token_before  # nothing of the old session survives
    assert client.get("/board").status_code == 200
    client.set_cookie("session", before)
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logged_out_cookie_cannot_be_replayed(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    signed_in = client.get_cookie("session").value
    response = client.post("/logout", data={"csrf_token": page_token(client)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/board").status_code == 302
    client.set_cookie("session", signed_in)  # a copy of the cookie taken while signed in
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deactivated_user_is_signed_out_at_once(app, client, auth, make):
    user_id = auth.as_role(make, "operator")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/board").status_code == 302


def test_anonymous_htmx_request_gets_hx_redirect_not_a_form(client):
    response = client.get("/board", headers={"HX-Request": "true",
                                             "HX-Current-URL": "http://localhost/board?dep=1"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "/board" in response.headers["HX-Redirect"]
    assert "<form" not in response.get_data(as_text=True)


# --- idle timeout ---------------------------------------------------------------------------------

def set_seen(client, seconds_ago):
    with client.session_transaction() as sess:
        sess[security.LAST_SEEN_KEY] = int(time.time()) - seconds_ago


def test_idle_session_ends_with_a_russian_notice(client, auth, make):
    auth.as_role(make, "operator")
    set_seen(client, 31 * 60)
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Сеанс завершён после 30 минут бездействия" in page
    assert client.get("/board").status_code == 302  # the session really ended


def test_idle_htmx_request_gets_hx_redirect(client, auth, make):
    auth.as_role(make, "operator")
    set_seen(client, 31 * 60)
    response = client.get("/board", headers={"HX-Request": "true", web.BACKGROUND_HEADER: "1"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert "Сеанс завершён" in client.get("/login").get_data(as_text=True)


def test_background_polling_does_not_extend_the_idle_time(client, auth, make, monkeypatch):
    auth.as_role(make, "head", "Дороги")
    start = int(time.time())
    clock = {"now": start}
    monkeypatch.setattr(security, "now", lambda: clock["now"])
    poll = {"HX-Request": "true", web.BACKGROUND_HEADER: "1"}
    for minute in range(5, 30, 5):  # polls for 29 minutes after the last real action
        clock["now"] = start + minute * 60
        assert client.get("/board", headers=poll).status_code == 200
    clock["now"] = start + 29 * 60
    assert client.get("/board", headers=poll).status_code == 200
    clock["now"] = start + 31 * 60
    assert client.get("/board", headers=poll).status_code == 401


def test_real_actions_extend_the_idle_time(client, auth, make, monkeypatch):
    auth.as_role(make, "head", "Дороги")
    start = int(time.time())
    clock = {"now": start}
    monkeypatch.setattr(security, "now", lambda: clock["now"])
    for minute in range(20, 200, 20):
        clock["now"] = start + minute * 60
        assert client.get("/board").status_code == 200


def test_idle_timeout_is_a_setting(client, auth, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "IDLE_TIMEOUT_MINUTES", 5)
    auth.as_role(make, "operator")
    set_seen(client, 4 * 60)
    assert client.get("/board").status_code == 200  # 4 minutes idle: still in
    set_seen(client, 6 * 60)
    response = client.get("/board")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- CSRF -----------------------------------------------------------------------------------------

def test_post_without_csrf_token_is_refused_in_russian(client, auth, make):
    auth.as_role(make, "operator")
    response = client.post("/logout")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    visible = re.sub(r"<[^>]*>", " ", html)  # what a person reads (the page carries the header name in markup)
    assert "Страница устарела" in visible and "CSRF" not in visible
    assert client.get("/board").status_code == 200  # still signed in: nothing happened


def test_htmx_csrf_failure_is_a_fragment(client, auth, make):
    auth.as_role(make, "operator")
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "forged"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<html" not in html and "Страница устарела" in html


def test_csrf_token_in_header_is_accepted(client, auth, make):
    auth.as_role(make, "operator")
    token = page_token(client)
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"
    assert client.get("/board").status_code == 302


def test_token_from_a_page_open_all_day_still_works(app, client, auth, make, monkeypatch):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None
    auth.as_role(make, "head", "Дороги")
    token = page_token(client)
    start = time.time()
    clock = {"now": start}
    monkeypatch.setattr(time, "time", lambda: clock["now"])  # itsdangerous and the idle clock
    for minute in range(20, 8 * 60 + 1, 20):  # a working day of actions every 20 minutes
        clock["now"] = start + minute * 60
        assert client.get("/incidents/").status_code == 200
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_stale_login_page_shows_the_form_again(client):
    client.get("/login")
    response = client.post("/login", data={"login": "someone", "password": "x", "csrf_token": "old"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Страница входа устарела" in html and 'value="someone"' in html
    assert csrf_from(html)


def test_post_from_an_ended_session_sends_htmx_to_login(client, auth, make):
    auth.as_role(make, "operator")
    token = page_token(client)
    client.post("/logout", data={"csrf_token": token})
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


# --- sign-in: same answer, same work, rate limits -------------------------------------------------

def test_wrong_login_and_wrong_password_look_the_same_and_cost_one_hash(app, client, make, monkeypatch):
    user = make.user("operator")
    calls = []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda h, p: calls.append(1) or real(h, p))
    answers = []
    for login, password in [("nobody-here", PASSWORD), (login_name(app, user), "wrong-password")]:
        calls.clear()
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
        answers.append((response.status_code, alert(response.get_data(as_text=True))))
        assert len(calls) == 1
    assert answers[0] == answers[1] == (401, "Неверный логин или пароль.")


def attempt(client, login, password, address):
    env = {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token},
                       environ_base=env)


def test_login_is_rate_limited_per_account_and_address(app, limited, make):
    login = login_name(app, make.user("head", "Дороги"))
    client = limited.test_client()
    for _ in range(5):
        assert attempt(client, login, "wrong", "10.0.0.1").status_code == 401
    blocked = attempt(client, login, PASSWORD, "10.0.0.1")  # even the right password waits now
    assert blocked.status_code == 429
    assert "Слишком много попыток входа" in blocked.get_data(as_text=True)
    assert limited.test_client().get("/login", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 200
    assert attempt(limited.test_client(), login, PASSWORD, "10.0.0.2").status_code == 302


def test_login_is_rate_limited_per_address(app, limited, make):
    login = login_name(app, make.user("operator"))
    client = limited.test_client()
    for n in range(20):
        assert attempt(client, f"guess{n}", "wrong", "10.0.1.1").status_code == 401
    assert attempt(client, login, PASSWORD, "10.0.1.1").status_code == 429
    assert attempt(limited.test_client(), login, PASSWORD, "10.0.1.2").status_code == 302


def test_login_is_rate_limited_per_account_from_many_addresses(app, limited, make):
    login = login_name(app, make.user("operator"))
    client = limited.test_client()
    for n in range(10):
        assert attempt(client, login, "wrong", f"10.0.2.{n}").status_code == 401
    assert attempt(client, login, PASSWORD, "10.0.2.200").status_code == 429


def test_successful_sign_ins_do_not_use_up_the_limit(app, limited, make):
    login = login_name(app, make.user("operator"))
    for _ in range(8):
        assert attempt(limited.test_client(), login, PASSWORD, "10.0.3.1").status_code == 302


@pytest.mark.parametrize("hops", [0, 1])
def test_behind_a_trusted_proxy_the_limits_count_the_clients_address(app, make, hops):
    """With MCU_PROXY_HOPS=1 every client behind the proxy has its own limit; without it a forged
    X-Forwarded-For changes nothing (all requests come from the one proxy address)."""
    was = limiter.enabled
    proxied = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": app.config["DATABASE_URL"],
                          "DEMO": False, "SECURE_COOKIES": False, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", "PROXY_HOPS": hops})
    try:
        login = login_name(app, make.user("operator"))
        client = proxied.test_client()
        for n in range(20):
            env = {"REMOTE_ADDR": "10.9.0.1", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
            token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
            client.post("/login", data={"login": f"guess{n}", "password": "x", "csrf_token": token},
                        environ_base=env)
        env = {"REMOTE_ADDR": "10.9.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
        token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
        fresh = client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token},
                            environ_base=env)
        assert fresh.status_code == (302 if hops else 429)
    finally:
        limiter.enabled = was


def test_rate_limit_storage_follows_redis_url():
    other = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "RATELIMIT_ENABLED": False,
                        "REDIS_URL": "redis://127.0.0.1:6379/12"})
    assert other.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/12"


# --- headers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/board", "/no-such-page", "/static/js/app.js"])
def test_security_headers_on_every_response(client, auth, make, path):
    auth.as_role(make, "viewer")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_personal_pages_are_not_stored(client, auth, make):
    auth.as_role(make, "viewer")
    assert client.get("/board").headers["Cache-Control"] == "no-store"


def test_templates_need_no_unsafe_inline():
    """No inline script, style attribute or hx-on anywhere: the CSP would block them."""
    for path in (ROOT / "templates").rglob("*.html"):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=", html), path
        assert not re.search(r"\shx-on[:-]", html), path
        assert not re.search(r"<style", html), path


@pytest.mark.parametrize("target", ["//evil.example/x", "/\t/evil.example", "/\\evil.example",
                                    "https://evil.example/", "/%0A/evil.example"])
def test_login_never_redirects_off_site(app, client, make, target):
    login = login_name(app, make.user("viewer"))
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", query_string={"next": target},
                           data={"login": login, "password": PASSWORD, "csrf_token": token})
    location = response.headers["Location"]
    assert response.status_code == 302 and location.isprintable() and "\\" not in location
    assert location.startswith("/") and not location.startswith("//")


# Real-browser checks (CSRF header from htmx 4, no CSP violation, idle redirect, poll marker):
# tests/browser/test_security_browser.py, on the browser fixtures of tests/browser/conftest.py.
