"""Browser fixtures: the session's test app served on a free port, Chromium driven by Playwright (sync API).

The server runs the same ``app`` as tests/conftest.py, so what the ``make`` factory stores is what the
browser sees. Without Chromium every test here is skipped with the command that installs it.
"""
import os
import shutil
import threading

import pytest
from conftest import PASSWORD
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium")) if p and os.path.exists(p)), None)
SKIP_REASON = "Chromium not installed: apt-get install chromium (CI's .ci/run does this)"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TIMEOUT_MS = 20_000  # generous: the machine has 2 cores shared with other work; expect() retries until then

DESKTOP = {"viewport": {"width": 1440, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True,
         "has_touch": True}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

# Records Content-Security-Policy violations the page itself sees (console errors report them too).
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def pytest_collection_modifyitems(config, items):
    """Skip every browser test, with the reason, where there is no Chromium to drive."""
    if CHROMIUM:
        return
    here = os.path.dirname(__file__)
    skip = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if str(item.path).startswith(here + os.sep):
            item.add_marker(skip)


class QuietHandler(WSGIRequestHandler):
    """No access log line per request: failures stay readable."""

    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="session")
def live_url(app):
    """The session's app on a free localhost port, served by threads in the background."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module: Playwright's sync API allows one running instance at a time,
    so a module elsewhere that starts its own still can once this one has stopped."""
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """What went wrong on a page while a test used it: console errors, uncaught exceptions, CSP reports."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda e: self.page_errors.append(f"{page.url}: {e}"))

    def csp_violations(self) -> list:
        """Violations reported to the current document (a navigation starts a new list)."""
        return self.page.evaluate("() => window.__csp || []")

    def assert_clean(self):
        """No console error, no uncaught exception, no CSP violation so far."""
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.csp_violations() == []


def open_page(browser, live_url, options):
    """A fresh context (no cookies) and page with the watchers installed."""
    context = browser.new_context(base_url=live_url, locale="ru-RU", timezone_id="Asia/Vladivostok", **options)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.watch = Watch(page)
    return context, page


@pytest.fixture
def desktop_page(browser, live_url):
    """A 1440×900 desktop browser page."""
    context, page = open_page(browser, live_url, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_url):
    """A 390×844 touch phone browser page."""
    context, page = open_page(browser, live_url, PHONE)
    yield page
    context.close()


@pytest.fixture(params=list(VIEWPORTS))
def any_page(request, browser, live_url):
    """The same test on a desktop and on a phone viewport; ``page.device`` says which."""
    context, page = open_page(browser, live_url, VIEWPORTS[request.param])
    page.device = request.param
    yield page
    context.close()


def login_name(app, user_id: int) -> str:
    """The login of a user the factory made."""
    from mcu.extensions import db
    from mcu.models import User
    with app.app_context():
        return db.session.get(User, user_id).login


def log_in(page, login: str, password: str = PASSWORD, landing: str = "**/board"):
    """Sign in through the real login form and land on the board (field staff: on «Мои задачи», landing="**/field/")."""
    from playwright.sync_api import expect
    page.goto("/login")
    page.locator("#login").fill(login)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(landing)
    if landing == "**/board":
        expect(page.locator("#lanes")).to_be_visible()


@pytest.fixture
def sign_in(app, make):
    """Make a user of the given role and sign a page in as them; returns the user's id."""
    def sign_in(page, role="operator", department=None, name=None):
        user_id = make.user(role, department, name=name)
        log_in(page, login_name(app, user_id))
        return user_id
    return sign_in
