"""Rendered fragments shared by every worker through Redis: what one screen had rendered, the others reuse.
Within a process a fragment is rendered once however many threads ask for it at once (single flight: the others
wait for it, woken the moment it is there); across processes each renders what Redis does not hold yet, at most
once per process (a thread waiting on another process's render held a request thread for nothing: measured
as a fifth of the request threads' time in `python -m bench live`).

A key names what a fragment shows, its version included, so a fragment is invalidated by the version, never
by time (the TTL only bounds memory). When Redis does not answer, every request renders for itself and
nothing is shared; the failure is remembered for a few seconds so no request waits on a dead Redis.
"""
import logging
import threading
import time
from collections import OrderedDict

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class FragmentCache:
    """get / put / claim on Redis with a short timeout; every failure degrades to "not cached". A fragment this
    process already fetched or rendered is kept in its memory too (the few newest, by key): 500 screens showing
    the same lanes cost each worker one fetch per lane version, not one per screen."""

    def __init__(self, url: str, ttl_seconds: int, timeout: float = 0.2, down_for: float = 5.0,
                 local_size: int = 256):
        self.client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.ttl = ttl_seconds
        self.down_for = down_for
        self._down_until = 0.0
        self.renders = 0  # fragments this process rendered (the tests and the bench read it)
        self._local: OrderedDict[str, str] = OrderedDict()
        self._local_size = local_size
        self._lock = threading.Lock()
        self._flights: dict[str, threading.Event] = {}  # renders under way in this process, by key

    def _remember(self, key: str, value: str) -> None:
        with self._lock:
            self._local[key] = value
            self._local.move_to_end(key)
            while len(self._local) > self._local_size:
                self._local.popitem(last=False)

    def _up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self._up():
            log.warning("fragment cache unavailable (%s): rendering without it for %.0f s", exc, self.down_for)
        self._down_until = time.monotonic() + self.down_for

    def get_many(self, keys: list[str]) -> list[str | None]:
        found = [self._local.get(key) for key in keys]
        wanted = [key for key, value in zip(keys, found, strict=True) if value is None]
        if not wanted or not self._up():
            return found
        try:
            fetched = dict(zip(wanted, self.client.mget(wanted), strict=True))
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return found
        for key, value in fetched.items():
            if value is not None:
                self._remember(key, value.decode())
        return [value if value is not None else self._local.get(key) for key, value in zip(keys, found, strict=True)]

    def put_many(self, items: dict[str, str]) -> None:
        for key, value in items.items():
            self._remember(key, value)
        if not items or not self._up():
            return
        try:
            with self.client.pipeline(transaction=False) as pipe:
                for key, value in items.items():
                    pipe.set(key, value.encode(), ex=self.ttl)
                    pipe.delete(key + ":claim")
                pipe.execute()
        except (RedisError, OSError) as exc:
            self._failed(exc)

    def lead(self, keys: list[str]) -> tuple[list[str], list[threading.Event]]:
        """Single flight within this process: (the keys this thread is to render now, the events of the renders
        of the others that another thread of this process has begun). Call ``land`` with the first when done."""
        mine, others = [], []
        with self._lock:
            for key in keys:
                flight = self._flights.get(key)
                if flight is None:
                    self._flights[key] = threading.Event()
                    mine.append(key)
                else:
                    others.append(flight)
        return mine, others

    def land(self, keys: list[str]) -> None:
        """The renders of these keys ended (stored, or failed): wake the threads waiting for them."""
        with self._lock:
            for key in keys:
                flight = self._flights.pop(key, None)
                if flight is not None:
                    flight.set()

    def local(self, key: str) -> str | None:
        """The fragment if this process holds it."""
        return self._local.get(key)
