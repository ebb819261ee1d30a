"""Live under a real gunicorn with two workers: a change written through one worker reaches screens served by
the other, and with Redis killed the screens keep working on plain polling, no 5xx, and recover by themselves."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path

import pytest
import requests
from conftest import PASSWORD

from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.incidents import verbs
from mcu.models import User
from mcu.timefmt import city_tz

ROOT = Path(__file__).resolve().parent.parent
POLL = re.compile(r'<div id="board-poll" hidden hx-get="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_socket():
    """A Redis of this test's own, on a socket, that the test can kill and start again."""
    folder = tempfile.mkdtemp(prefix="mcu-live-redis-")
    proc, url = mcu_queue.start_embedded(folder)
    state = {"proc": proc, "folder": folder, "url": url}
    yield state
    state["proc"].kill()
    state["proc"].wait()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def gunicorn(app, redis_socket):
    """gunicorn with two sync workers on the test database, logging which worker answered each request."""
    port = free_port()
    log = Path(redis_socket["folder"]) / "access.log"
    env = {**os.environ, "MCU_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "MCU_SECRET_KEY": "test",
           "MCU_REDIS_URL": redis_socket["url"], "MCU_DEMO": "false", "MCU_SECURE_COOKIES": "false",
           "MCU_RATELIMIT_ENABLED": "false", "MCU_LANE_VERSION_TTL": "0.2", "MCU_LOOKUPS_TTL": "0"}
    proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
                             "--access-logfile", str(log), "--access-logformat", "%(p)s %(U)s %(s)s", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if requests.get(base + "/login", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        yield base, log
    finally:  # never leave a server behind, even when it did not start
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)


def screens(base: str, login: str, n: int) -> list[dict]:
    """n open boards of one person, each on fresh connections (so the two workers share them)."""
    session = requests.Session()
    page = session.get(base + "/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert session.post(base + "/login", data={"login": login, "password": PASSWORD, "csrf_token": token},
                        allow_redirects=False).status_code == 302
    board = session.get(base + "/board").text
    url = unescape(POLL.search(board).group(1))
    return [{"cookies": session.cookies.get_dict(), "url": url} for _ in range(n)]


def poll(base: str, screen: dict) -> requests.Response:
    response = requests.get(base + screen["url"], cookies=screen["cookies"], timeout=10,
                            headers={"HX-Request": "true", "X-MCU-Background": "1", "Connection": "close"})
    assert response.status_code < 500, response.text[:300]
    if response.status_code == 200:
        screen["url"] = unescape(POLL.search(response.text).group(1))
    return response


def everyone_sees(base: str, shown: list[dict], card: int, cell: str, within: float = 3.0) -> None:
    deadline, waiting = time.monotonic() + within, list(shown)
    def sees(screen) -> bool:
        response = poll(base, screen)
        if response.status_code == 200 and f'id="{cell}"' in response.text:
            part = response.text[response.text.index(f'id="{cell}"'):]
            return f'id="incident-{card}"' in part[:part.index("</section>")]
        return False

    with ThreadPoolExecutor(len(shown)) as pool:  # the screens ask at once, as open boards do: both workers answer
        while waiting and time.monotonic() < deadline:
            waiting = [screen for screen, saw in zip(waiting, pool.map(sees, waiting), strict=True) if not saw]
            time.sleep(0.2)
    assert not waiting, f"{len(waiting)} of {len(shown)} screens did not see the change within {within} s"


def test_two_workers_share_every_change_and_the_board_outlives_redis(app, make, gunicorn, redis_socket):
    base, log = gunicorn
    roads = make.department("Дороги")
    cards = [make.incident(text=f"Яма {n}", department_id=roads) for n in range(3)]
    mover = make.user("admin")
    with app.app_context():
        login = db.session.get(User, make.user("operator")).login
    shown = screens(base, login, 8)
    for screen in shown:
        assert poll(base, screen).status_code == 204

    def move(card, to_status):
        with app.app_context():
            verbs.move_incident(card, db.session.get(User, mover), cfg=app.config, tz=city_tz(),
                                to_status=to_status, before="top")

    move(cards[0], "in_progress")
    everyone_sees(base, shown, cards[0], f"cell-{roads}-in_progress")
    workers = {line.split()[0] for line in log.read_text().splitlines() if "/board/changes" in line}
    assert len(workers) == 2  # both workers answered polls, so each carried the change to some screens

    redis_socket["proc"].kill()  # the queue's Redis dies: the lanes are rendered without the shared cache
    redis_socket["proc"].wait()
    move(cards[1], "in_progress")
    everyone_sees(base, shown, cards[1], f"cell-{roads}-in_progress")
    assert requests.get(base + "/board", cookies=shown[0]["cookies"], timeout=10).status_code == 200

    redis_socket["proc"], _url = mcu_queue.start_embedded(redis_socket["folder"])  # and comes back
    time.sleep(6)  # past the time a worker remembers Redis as down
    move(cards[2], "in_progress")
    everyone_sees(base, shown, cards[2], f"cell-{roads}-in_progress")
