"""Rendered fragments shared by every worker through Redis: what one screen had rendered, the others reuse.

A key names what a fragment shows, its version included, so a fragment is invalidated by the version, never
by time (the TTL only bounds memory). When Redis does not answer, every request renders for itself and
nothing is shared; the failure is remembered for a few seconds so no request waits on a dead Redis.
"""
import logging
import time

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class FragmentCache:
    """get / put / claim on Redis with a short timeout; every failure degrades to "not cached"."""

    def __init__(self, url: str, ttl_seconds: int, timeout: float = 0.2, down_for: float = 5.0):
        self.client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.ttl = ttl_seconds
        self.down_for = down_for
        self._down_until = 0.0
        self.renders = 0  # fragments this process rendered (the tests and the bench read it)

    def _up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if self._up():
            log.warning("fragment cache unavailable (%s): rendering without it for %.0f s", exc, self.down_for)
        self._down_until = time.monotonic() + self.down_for

    def get_many(self, keys: list[str]) -> list[str | None]:
        if not keys or not self._up():
            return [None] * len(keys)
        try:
            return [None if v is None else v.decode() for v in self.client.mget(keys)]
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return [None] * len(keys)

    def put_many(self, items: dict[str, str]) -> None:
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
