"""Test helpers for real processes: the web server (gunicorn), the queue's supervisors, signed-in HTTP sessions,
and a check that nothing started is left behind."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import requests
from conftest import csrf_from

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def env_for(app, redis_url: str, **settings) -> dict:
    """The environment of a `make run`-like process on the test database and Redis; settings as MCU_*. It is
    marked, so every descendant can be found even after its parent died (see leftovers())."""
    env = dict(os.environ, MCU_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], MCU_REDIS_URL=redis_url,
               MCU_DEMO="false", MCU_SECRET_KEY="test", MCU_SECURE_COOKIES="false", FLASK_APP="mcu",
               MCU_TEST_OWNER=str(os.getpid()))
    env.pop("MCU_TEST_REDIS_URL", None)
    env.update({f"MCU_{name}": str(value) for name, value in settings.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Processes a test starts, each in its own session; stop() ends them all and checks none is left."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, argv: list[str], env: dict, log=subprocess.DEVNULL) -> subprocess.Popen:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)
        self.started.append(proc)
        return proc

    def web(self, env: dict, log=subprocess.DEVNULL) -> str:
        """gunicorn with one worker, as the Procfile's web line; returns its base URL once it answers."""
        port = free_port()
        self.start([os.path.join(BIN, "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4",
                    "wsgi:app"], env, log)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/login", timeout=5)
                return base
            except requests.RequestException:
                time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    def supervisor(self, line: str, env: dict, log=subprocess.DEVNULL) -> subprocess.Popen:
        """`python -m mcu.supervise LINE`, as the Procfile runs it."""
        return self.start([sys.executable, "-m", "mcu.supervise", line], env, log)

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def leftovers() -> list[int]:
    """Live processes started by this test run (their environment carries its mark): none once stopped."""
    mark = f"MCU_TEST_OWNER={os.getpid()}".encode()
    return [pid for pid in all_pids() if environ_marker(pid) == mark]


def all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def environ_marker(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            found = re.search(rb"MCU_TEST_OWNER=\d+", f.read())
    except OSError:
        return b""
    if not found or is_zombie(pid):
        return b""
    return found.group()


def is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def children(pid: int) -> list[int]:
    """Direct children of a process (Linux)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(p) for p in f.read().split()]
        except OSError:
            pass
    return found


def process_group(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[2])


def signed_in(base: str, login: str, password: str) -> requests.Session:
    """A requests session signed in to a running web server."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10).text
    token = csrf_from(page)
    answer = http.post(base + "/login", data={"login": login, "password": password, "csrf_token": token},
                       allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return http


def login_attempt(base: str, login: str, password: str) -> int:
    """One sign-in attempt from a fresh browser; its status code (302 signed in, 401 refused, 429 limited)."""
    http = requests.Session()
    page = http.get(base + "/login", timeout=10).text
    token = csrf_from(page)
    return http.post(base + "/login", data={"login": login, "password": password, "csrf_token": token},
                     allow_redirects=False, timeout=10).status_code
