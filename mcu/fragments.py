"""Rendered fragments shared by every worker through Redis: what one screen had rendered, the others reuse.

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

    def claim(self, key: str, seconds: float = 3.0) -> bool:
        """True when this worker should render the fragment: nobody else is rendering it right now (or Redis is
        down, and everyone renders for themselves)."""
        if not self._up():
            return True
        try:
            return bool(self.client.set(key + ":claim", b"1", nx=True, px=int(seconds * 1000)))
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return True

    def wait_for(self, keys: list[str], seconds: float) -> list[str | None]:
        """The fragments another worker is rendering, once they appear (or None for those that did not in time)."""
        deadline = time.monotonic() + seconds
        found = self.get_many(keys)
        while any(v is None for v in found) and time.monotonic() < deadline and self._up():
            time.sleep(0.02)
            found = [old if old is not None else new for old, new in zip(found, self.get_many(keys), strict=True)]
        return found
