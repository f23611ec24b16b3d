"""Rate limits keyed by anything (a web session, a chat): token buckets and sliding windows."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`rate` tokens per second refill, up to `burst`; one token per action."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._monotonic = monotonic
        self._max_keys = max_keys
        self._buckets: dict[Hashable, _Bucket] = {}

    def try_acquire(self, key: Hashable) -> float:
        """Take a token: 0.0 when allowed, otherwise the seconds to wait."""
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    async def wait(self, key: Hashable) -> None:
        """Sleep until a token for `key` is granted (try_acquire tells how long)."""
        while True:
            seconds = self.try_acquire(key)
            if not seconds:
                return
            await asyncio.sleep(seconds)

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled completely: they carry no information."""
        full = [
            key
            for key, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for key in full:
            del self._buckets[key]


class WindowLimiter:
    """At most `count` actions in any `window` seconds, per key (a sliding window).

    For limits stated as "N per minute" (Telegram's 20 messages a minute into one group):
    a token bucket with a burst lets more than N through in some minute.
    """

    def __init__(
        self, count: int, window: float, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.count = count
        self.window = window
        self._monotonic = monotonic
        self._times: dict[Hashable, deque[float]] = {}

    def try_acquire(self, key: Hashable) -> float:
        """Record an action: 0.0 when allowed, otherwise the seconds to wait."""
        now = self._monotonic()
        times = self._times.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.count:
            times.append(now)
            return 0.0
        return times[0] + self.window - now
