"""Security in a real browser: htmx 4 sends the CSRF header, the strict CSP holds, idle and polls behave."""
import time

from conftest import PASSWORD

from mcu import security

from .conftest import login_name


def sign_in(page, login):
    """Sign in through the form and wait for htmx to be ready."""
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/board")
    page.wait_for_function("() => window.htmx !== undefined")


def test_board_has_no_csp_violation_and_htmx_sends_csrf_header(app, make, desktop_page, live_url):
    page = desktop_page
    for _ in range(3):
        make.incident()
    sign_in(page, login_name(app, make.user("head", "Дороги")))
    page.evaluate("() => htmx.ajax('GET', location.pathname, {target: '#main'})")  # awaits the swap
    meta = page.get_attribute('meta[name="csrf-token"]', "content")
    page.evaluate("""() => {
        const b = document.createElement('button');
        b.id = 'htmx-logout'; b.setAttribute('hx-post', '/logout'); b.setAttribute('hx-swap', 'none');
        document.body.appendChild(b); htmx.process(b);
    }""")
    with page.expect_request(lambda r: r.url.endswith("/logout")) as request_info:
        page.click("#htmx-logout")
    request = request_info.value
    assert request.headers.get("x-csrftoken") == meta and request.headers.get("hx-request") == "true"
    assert request.response().status == 204  # accepted: the token in the header passed CSRFProtect
    page.wait_for_url("**/login")  # htmx followed HX-Redirect
    assert page.watch.csp_violations() == []
    assert not [e for e in page.watch.console_errors if "Content Security Policy" in e]
    page.goto("/board")
    assert "/login" in page.url  # the session really ended
    # the watcher works and the policy is enforced: an injected inline script is blocked and reported
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.head.appendChild(s); }""")
    assert page.evaluate("() => window.__ran") is None
    assert len(page.watch.csp_violations()) == 1


def test_idle_session_goes_to_login_page_not_into_a_lane(app, make, desktop_page, live_url, monkeypatch):
    page = desktop_page
    sign_in(page, login_name(app, make.user("operator")))
    later = int(time.time()) + 31 * 60
    monkeypatch.setattr(security, "now", lambda: later)
    # not awaited: the answer sends the page to sign in, which ends the script's context (the board's own poll may
    # get there first)
    page.evaluate("""() => { htmx.ajax('GET', '/board', {target: '#main', headers: {'X-MCU-Background': '1'}}); }""")
    page.wait_for_url(lambda url: "/login" in url)
    assert "Сеанс завершён после 30 минут бездействия" in page.text_content("body")
    assert page.locator("form input#password").count() == 1
    assert page.watch.csp_violations() == []


def test_polls_are_marked_background_and_clicks_are_not(app, make, desktop_page, live_url):
    page = desktop_page
    sign_in(page, login_name(app, make.user("viewer")))
    page.evaluate("""() => {
        const poll = document.createElement('div');
        poll.id = 'poll'; poll.setAttribute('hx-get', '/incidents/?poll=1');
        poll.setAttribute('hx-trigger', 'every 200ms'); poll.setAttribute('hx-swap', 'none');
        const click = document.createElement('button');
        click.id = 'act'; click.setAttribute('hx-get', '/incidents/?click=1'); click.setAttribute('hx-swap', 'none');
        document.body.append(poll, click); htmx.process(poll); htmx.process(click);
    }""")
    with page.expect_request(lambda r: "poll=1" in r.url) as polled:
        pass
    assert polled.value.headers.get("x-mcu-background") == "1"
    with page.expect_request(lambda r: "click=1" in r.url) as clicked:
        page.click("#act")
    assert "x-mcu-background" not in clicked.value.headers
    page.evaluate("() => document.getElementById('poll').remove()")  # the poll stops with its element
