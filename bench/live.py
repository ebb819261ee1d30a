"""`python -m bench live`: a control room against the real stack, started the way `make run` starts it.

The Procfile runs under honcho (gunicorn, the queue processes) on the bench data set (100,000 incidents,
2,000 open), on SQLite and, with MCU_BENCH_DATABASE_URL, on PostgreSQL. 500 open screens each keep their
own session and poll as the page does: whole-city boards, single-department boards, and the control-room
control-room walls (`/wall` with a display token, docs/wall.md). 20 department heads move cards for 60 s. A local ЦУР feed publishes items at
known moments. Every figure is printed as one `name: value unit` line.
"""
import asyncio
import itertools
import json
import os
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from itsdangerous import URLSafeTimedSerializer

from mcu import escalation
from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.models import Department, Event, FeedSource, Incident, User
from mcu.timefmt import city_tz
from mcu.wall import tokens
from mcu.workflow import IN_PROGRESS, NEW

from .data import fill, make_app
from .http import Client, ConnectionLost

ROOT = Path(__file__).resolve().parent.parent
SCREENS = {"city": 300, "department": 150, "wall": 50}
EDITORS = 20
SECONDS = 60
WARMUP = 8
FEED_INTERVAL = 5
SECRET = "bench-live-" + secrets.token_hex(8)
POLL = re.compile(rb'<div id="board-poll" hidden hx-get="([^"]+)"')
WALL_POLL = re.compile(rb'<div id="wall-state" data-poll="([^"]+)"')
BACKGROUND = {"HX-Request": "true", "X-MCU-Background": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def versions_of(url: str) -> dict:
    """{lane key: version} a poll URL carries."""
    v = parse_qs(urlsplit(url).query).get("v", [""])[0]
    return {key: int(ver) for key, _dot, ver in (part.partition(".") for part in v.split(",") if part)}


def shown_of(url: str) -> list:
    """The lanes a screen shows: a board's ``show``; a wall shows every lane its ``v`` names."""
    query = parse_qs(urlsplit(url).query)
    if "show" not in query:
        return [k for k in versions_of(url) if not k.startswith("@")]
    return [k for k in query["show"][0].split(",") if k]


class Feed:
    """A ЦУР feed on localhost whose items the bench publishes at known moments."""

    def __init__(self):
        self.items: list[dict] = []
        self.published: dict[str, float] = {}
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                cursor = parse_qs(urlsplit(self.path).query).get("cursor", ["0"])[0]
                start = int(cursor) if cursor.isdigit() else 0
                items = feed.items[start:]
                body = json.dumps({"items": items, "next_cursor": str(start + len(items)), "has_more": False},
                                  ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/items.json"

    def publish(self, n: int) -> None:
        marker = f"bench-feed-{n}"
        self.items.append({"id": marker, "created_at": datetime.now(UTC).isoformat(), "channel": "im",
                           "author": "Житель", "text": f"Яма на дороге у дома {n} {marker}", "topic": "Дороги"})
        self.published[marker] = time.monotonic()


class Stack:
    """The processes of `make run` (honcho on the Procfile) against this bench's database and Redis."""

    def __init__(self, url: str | None):
        self.dir = tempfile.mkdtemp(prefix="mcu-live-")
        self.url = url or "sqlite:///" + os.path.join(self.dir, "live.sqlite")
        self.port = free_port()

    def prepare(self):
        if self.url.startswith("postgresql"):
            from tests.conftest import reset_schema  # an empty schema, as the tests start from
            reset_schema(self.url)
        app = make_app(self.url)
        app.config["SECRET_KEY"] = SECRET
        fill(app, total=100_000, open_count=2_000)
        with app.app_context():  # the ladder climbed as a running system would have as the cards became overdue:
            escalation.sweep(datetime.now(UTC), app.config, city_tz())  # not a catch-up of 2,000 in the run
        self.app = app
        self.redis, self.redis_url = mcu_queue.start_embedded(self.dir)
        return app

    def start(self):
        env = {**os.environ, "PORT": str(self.port), "MCU_DATABASE_URL": self.url, "MCU_REDIS_URL": self.redis_url,
               "MCU_SECRET_KEY": SECRET, "MCU_DEMO": "false", "MCU_SECURE_COOKIES": "false",
               "PYTHONUNBUFFERED": "1"}
        self.log = open(os.path.join(self.dir, "stack.log"), "w")  # noqa: SIM115 -- kept open while it runs
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile"], cwd=ROOT, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"the stack did not start: see {self.log.name}")

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.redis.terminate()
        self.redis.wait()


class Sessions:
    """Signed session cookies for many screens, made as the app makes them (a sign-in costs a password hash,
    and 500 of them would measure scrypt, not the board)."""

    def __init__(self, app):
        self.app = app
        self.serializer = app.session_interface.get_signing_serializer(app)
        self.csrf = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")

    def cookie(self, user: User) -> tuple[str, str]:
        raw = secrets.token_hex(20)
        data = {"_user_id": f"{user.id}:{user.session_nonce}", "_fresh": False, "_id": secrets.token_hex(64),
                "_seen": int(time.time()), "csrf_token": raw}
        return "session=" + self.serializer.dumps(data), self.csrf.dumps(raw)


def users(app) -> dict:
    """The bench's people: a viewer for walls and city boards, and heads for every department (20 editors)."""
    with app.app_context():
        departments = list(db.session.scalars(db.select(Department).order_by(Department.position)))
        made = {"viewer": [], "heads": {}}
        viewer = db.session.scalar(db.select(User).filter_by(login="viewer"))
        for n in range(max(EDITORS, len(departments))):
            dep = departments[n % len(departments)]
            user = User(login=f"bench-head-{n}", name=f"Руководитель {n}", role="head", department_id=dep.id,
                        password_hash="!", session_nonce=secrets.token_hex(8))
            db.session.add(user)
            made["heads"].setdefault(dep.id, []).append(user)
        viewer.session_nonce = viewer.session_nonce or secrets.token_hex(8)
        db.session.commit()
        made["viewer"] = db.session.get(User, viewer.id)
        for heads in made["heads"].values():
            for user in heads:
                db.session.refresh(user)
        db.session.expunge_all()
        return made


class Run:
    """One live run: screens, editors and the feed against the started stack; collects what each saw."""

    def __init__(self, stack: Stack, people: dict):
        self.stack, self.people = stack, people
        self.sessions = Sessions(stack.app)
        self.errors = 0
        self.polls: list[float] = []
        self.changed_sizes: list[int] = []  # bytes of each poll answered with a change
        self.moves: list[dict] = []
        self.move_times: list[float] = []
        self.screens: list[dict] = []
        self.feed_seen: dict[str, float] = {}
        self.stop_at = 0.0
        self.measuring = False

    def client(self, cookie="") -> Client:
        return Client("127.0.0.1", self.stack.port, cookie)

    async def first_page(self, user) -> tuple[str, str, str]:
        cookie, token = self.sessions.cookie(user)
        client = self.client(cookie)
        response = await client.request("GET", "/board")
        await client.close()
        assert response.status == 200, response.status
        return cookie, token, unescape(POLL.search(response.body).group(1).decode())

    async def first_wall(self, secret: str) -> str:
        client = self.client()
        response = await client.request("GET", f"/wall?token={secret}")
        await client.close()
        assert response.status == 200, response.status
        return unescape(WALL_POLL.search(response.body).group(1).decode())

    async def screen(self, kind: str, user, url: str, observe_feed: bool):
        cookie = self.sessions.cookie(user)[0] if user is not None else ""  # a wall: no session, a token
        poll = WALL_POLL if user is None else POLL
        client = self.client(cookie)
        state = {"kind": kind, "known": versions_of(url), "shown": shown_of(url), "learned": []}
        self.screens.append(state)
        await asyncio.sleep(random.uniform(0, 2))
        while time.monotonic() < self.stop_at:
            start = time.monotonic()
            try:
                response = await client.request("GET", url, BACKGROUND)
            except (TimeoutError, ConnectionLost, OSError):
                self.errors += 1
                await asyncio.sleep(2)
                continue
            now = time.monotonic()
            if self.measuring:
                self.polls.append(response.seconds)
                if response.status == 200:
                    self.changed_sizes.append(len(response.body))
            if response.status >= 500:
                self.errors += 1
            elif response.status == 200:
                found = poll.search(response.body)
                if found:
                    url = unescape(found.group(1).decode())
                    known = versions_of(url)
                    state["learned"].append((now, known))
                    state["known"], state["shown"] = known, shown_of(url)
                if observe_feed:
                    for marker in re.findall(rb"bench-feed-\d+", response.body):
                        self.feed_seen.setdefault(marker.decode(), now)
            await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - start)))
        await client.close()

    async def editor(self, user, cards: list[list]):
        cookie, token = self.sessions.cookie(user)
        client = self.client(cookie)
        await asyncio.sleep(random.uniform(0, 2))
        while time.monotonic() < self.stop_at:
            card = random.choice(cards)
            target = IN_PROGRESS if card[2] == NEW else NEW
            body = (f"version={card[1]}&from_status={card[2]}&from_department={user.department_id}"  # as the page
                    f"&to_status={target}&before=top&board=").encode()
            try:
                response = await client.request("POST", f"/incidents/{card[0]}/move", {
                    "HX-Request": "true", "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded"},
                    body)
            except (TimeoutError, ConnectionLost, OSError):
                self.errors += 1
                continue
            done = time.monotonic()
            if response.status >= 500:
                self.errors += 1
            elif response.status == 200:
                card[1] += 1
                card[2] = target
                lanes = {k: int(v) for k, _d, v in (p.partition(".") for p in
                                                         response.headers.get("x-mcu-lanes", "").split(",") if p)}
                self.moves.append({"id": card[0], "to": target, "user": user.id, "at": done, "lanes": lanes,
                                   "measured": self.measuring})
                if self.measuring:
                    self.move_times.append(response.seconds)
            await asyncio.sleep(random.uniform(1.0, 3.0))
        await client.close()

    async def feed(self, feed: Feed):
        for n in itertools.count():
            if time.monotonic() >= self.stop_at - FEED_INTERVAL - 4:
                return
            if self.measuring:
                feed.publish(n)
            await asyncio.sleep(3)

    async def go(self, feed: Feed):
        people = self.people
        _city_cookie, _t, city_url = await self.first_page(people["viewer"])
        with self.stack.app.app_context():
            secret = tokens.create(f"Бенч {secrets.token_hex(4)}")[1]
        wall_url = await self.first_wall(secret)
        department_urls = {}
        for dep, heads in people["heads"].items():
            department_urls[dep] = (await self.first_page(heads[0]))[2]
        with self.stack.app.app_context():
            open_cards = db.session.execute(db.select(Incident.id, Incident.version, Incident.status,
                                                      Incident.department_id)
                                            .where(Incident.status.in_((NEW, IN_PROGRESS)))).all()
        by_department = {}
        for ident, version, status, dep in open_cards:
            by_department.setdefault(dep, []).append([ident, version, status])
        tasks = []
        self.stop_at = time.monotonic() + WARMUP + SECONDS
        departments = list(department_urls)
        for n in range(SCREENS["city"] + SCREENS["wall"]):
            kind = "city" if n < SCREENS["city"] else "wall"
            if kind == "city":
                tasks.append(self.screen(kind, people["viewer"], city_url, observe_feed=n % 60 == 0))
            else:
                tasks.append(self.screen(kind, None, wall_url, observe_feed=False))
        for n in range(SCREENS["department"]):
            dep = departments[n % len(departments)]
            tasks.append(self.screen("department", people["heads"][dep][n % len(people["heads"][dep])],
                                     department_urls[dep], observe_feed=False))
        editors = [user for heads in people["heads"].values() for user in heads][:EDITORS]
        for user in editors:  # each head works a disjoint share of their department's open cards
            mates = [u for u in editors if u.department_id == user.department_id]
            share = by_department.get(user.department_id, [])[mates.index(user)::len(mates)]
            if share:
                tasks.append(self.editor(user, share))
        tasks.append(self.feed(feed))

        async def start_measuring():
            await asyncio.sleep(WARMUP)
            self.measuring = True

        tasks.append(start_measuring())
        await asyncio.gather(*tasks)
        self.editors = len(editors)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[94] if len(values) > 1 else values[0]


def change_seen(run: Run) -> tuple[list[float], int]:
    """Seconds from each measured move's answer to each screen showing its lane knowing that lane's new
    version; and how many (move, screen) pairs were never seen before the end, of the moves made at least one poll
    interval and a second before it (a later one may come after a screen's last poll)."""
    latencies, missed = [], 0
    for move in (m for m in run.moves if m["measured"]):
        counted = move["at"] < run.stop_at - 3
        for lane, version in move["lanes"].items():
            for screen in run.screens:
                if lane not in screen["shown"]:
                    continue
                when = next((t for t, known in screen["learned"] if known.get(lane, 0) >= version), None)
                if when is None:
                    missed += counted
                else:
                    latencies.append(max(0.0, when - move["at"]))
    return latencies, missed


def lost_moves(app, run: Run) -> int:
    """Accepted moves without their history line (by user, card and target status)."""
    with app.app_context():
        lines = {}
        for incident_id, user_id, to_value in db.session.execute(
                db.select(Event.incident_id, Event.user_id, Event.to_value).where(Event.kind == "status")):
            lines[(incident_id, user_id, to_value)] = lines.get((incident_id, user_id, to_value), 0) + 1
    wanted = {}
    for move in run.moves:
        key = (move["id"], move["user"], move["to"])
        wanted[key] = wanted.get(key, 0) + 1
    return sum(max(0, n - lines.get(key, 0)) for key, n in wanted.items())


async def throughput(port: int, path: str, cookie: str, seconds: float = 5.0, connections: int = 16) -> float:
    """Requests per second a closed loop of `connections` keep-alive clients gets for one path."""
    done = 0
    stop = time.monotonic() + seconds

    async def loop():
        nonlocal done
        client, url = Client("127.0.0.1", port, cookie), path
        while time.monotonic() < stop:
            response = await client.request("GET", url, BACKGROUND)
            assert response.status < 500, response.status
            found = POLL.search(response.body) if response.status == 200 else None
            if found:  # a lane changed meanwhile (the deadline sweep, the feed): ask as the page would next
                url = unescape(found.group(1).decode())
            done += 1
        await client.close()

    await asyncio.gather(*[loop() for _ in range(connections)])
    return done / seconds


def hello_ratio(stack: Stack, cookie: str, poll_url: str) -> tuple[float, float]:
    """The idle poll's throughput and a Flask hello-world's, served by the same gunicorn settings."""
    idle = asyncio.run(throughput(stack.port, poll_url, cookie))
    procfile = (ROOT / "Procfile").read_text()
    web = next(line.split(":", 1)[1].strip() for line in procfile.splitlines() if line.startswith("web:"))
    port = free_port()
    command = web.replace("${PORT:-5000}", str(port)).replace("wsgi:app", "bench.hello:app")
    proc = subprocess.Popen(command, shell=True, cwd=ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        hello = asyncio.run(throughput(port, "/", ""))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
    return idle, hello


def measure(report, url: str | None, label: str) -> None:
    stack = Stack(url)
    app = stack.prepare()
    people = users(app)
    feed = Feed()
    with app.app_context():
        db.session.add(FeedSource(name="Бенч ЦУР", kind="cur_json", url=feed.url, interval_seconds=FEED_INTERVAL,
                                  enabled=True, cursor="", credentials=""))
        db.session.commit()
    stack.start()
    try:
        run = Run(stack, people)
        asyncio.run(run.go(feed))
        time.sleep(1)
        seen, missed = change_seen(run)
        feed_latency = [run.feed_seen[m] - t for m, t in feed.published.items() if m in run.feed_seen]
        sessions = Sessions(app)
        cookie, _token = sessions.cookie(people["viewer"])
        city = asyncio.run(Run(stack, people).first_page(people["viewer"]))[2]
        idle, hello = hello_ratio(stack, cookie, city)
    finally:
        stack.stop()
    suffix = "" if label == "sqlite" else f"_{label}"
    report(f"live_screens{suffix}", len(run.screens), "screens")
    report(f"live_editors{suffix}", run.editors, "editors")
    report(f"live_moves{suffix}", sum(1 for m in run.moves if m["measured"]), "moves")
    report(f"live_errors{suffix}", run.errors, "errors")
    report(f"live_lost_moves{suffix}", lost_moves(app, run), "moves")
    report(f"live_move_p95_ms{suffix}", p95(run.move_times) * 1000, "ms")
    report(f"live_poll_p95_ms{suffix}", p95(run.polls) * 1000, "ms")
    report(f"live_polls_per_s{suffix}", len(run.polls) / SECONDS, "polls/s")
    report(f"live_changed_poll_kb_median{suffix}", statistics.median(run.changed_sizes or [0]) / 1024, "KB")
    report(f"live_change_seen_p95_s{suffix}", p95(seen), "s")
    report(f"live_change_not_seen{suffix}", missed, "screen-changes")
    report(f"live_idle_poll_per_s{suffix}", idle, "requests/s")
    report(f"live_hello_per_s{suffix}", hello, "requests/s")
    report(f"live_idle_poll_vs_hello{suffix}", idle / hello, "x")
    report(f"feed_interval_s{suffix}", FEED_INTERVAL, "s")
    report(f"feed_to_screen_p95_s{suffix}", p95(feed_latency), "s")
    report(f"feed_items_not_seen{suffix}", len(feed.published) - len(feed_latency), "items")


def run(report) -> None:
    measure(report, None, "sqlite")
    url = os.environ.get("MCU_BENCH_DATABASE_URL")
    if url:
        measure(report, url, "postgresql")
    else:
        print("# live on PostgreSQL skipped: set MCU_BENCH_DATABASE_URL", flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(lambda n, v, u: print(f"{n}: {v} {u}")))
