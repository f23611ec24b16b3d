"""Rate limits and pauses kept in Redis, so that several worker processes share one budget.

With N workers each holding its own limiter, the bot would send N x 30 messages a second and
be limited by Telegram. With REDIS_URL set, every limiter of the bot (the channels' send
budgets, the web API's limits) and Telegram's 429 pause live in Redis, updated atomically by
small Lua scripts that use the Redis server's clock (the workers' clocks may differ). Without
it, the same limiters run in process memory (one worker, the embedded default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.ratelimit import RateLimiter, WindowLimiter

logger = logging.getLogger(__name__)

# While Redis cannot be reached, say so at most this often (the limits then hold per process).
_OUTAGE_LOG_SECONDS = 60.0

# A token bucket: refill at `rate` per second up to `burst`; take one token, or say how long
# to wait (refusing takes nothing). Time from the server, in seconds with microseconds.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""

# A sliding window: at most `count` in any `window` seconds.
_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local count, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < count then
  redis.call('ZADD', KEYS[1], now, tostring(now) .. ':' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


class Limiter(Protocol):
    """What the bot's rate limits offer, in process or shared."""

    async def acquire(self, key: Hashable) -> float:
        """Take one token: 0.0 when allowed, otherwise the seconds to wait."""

    async def wait(self, key: Hashable) -> None:
        """Sleep until one token is granted."""


class LocalLimiter:
    """A token bucket or a sliding window in this process's memory."""

    def __init__(self, limiter: RateLimiter | WindowLimiter) -> None:
        self._limiter = limiter

    async def acquire(self, key: Hashable) -> float:
        return self._limiter.try_acquire(key)

    async def wait(self, key: Hashable) -> None:
        await _wait_for(self, key)


class RedisLimiter:
    """The same limits in Redis, shared by every worker. While Redis is unreachable the
    limits hold in this process (`fallback`): a Redis outage slows nothing down to a stop
    and fails no message."""

    def __init__(
        self,
        budgets: Budgets,
        name: str,
        script: str,
        args: tuple[float, float],
        fallback: LocalLimiter,
    ) -> None:
        assert budgets.redis is not None
        self._budgets = budgets
        self._key = f"{budgets.prefix}:limit:{name}"
        self._script = budgets.redis.register_script(script)
        self._args = args
        self._fallback = fallback
        self._sequence = 0

    async def acquire(self, key: Hashable) -> float:
        self._sequence += 1
        try:
            result = await self._script(
                keys=[f"{self._key}:{key}"], args=[*self._args, self._sequence]
            )
        except (RedisError, OSError) as error:
            self._budgets.outage(error)
            return await self._fallback.acquire(key)
        return float(result)

    async def wait(self, key: Hashable) -> None:
        await _wait_for(self, key)


async def _wait_for(limiter: Limiter, key: Hashable) -> None:
    """Sleep as long as the limiter says, until it grants a token (no event to wait on:
    tokens come back with time)."""
    while True:
        seconds = await limiter.acquire(key)
        if not seconds:
            return
        await asyncio.sleep(seconds)


class Budgets:
    """Makes the bot's limiters: shared in Redis when configured, else in process."""

    def __init__(self, redis: Redis | None = None, prefix: str = "cds") -> None:
        self.redis = redis
        # Keeps two deployments (or test runs) that share one Redis apart.
        self.prefix = prefix
        self._outage_logged_at = -_OUTAGE_LOG_SECONDS

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def bucket(self, name: str, rate: float, burst: float) -> Limiter:
        """`rate` per second, bursts of `burst`."""
        local = LocalLimiter(RateLimiter(rate, burst))
        if self.redis is None:
            return local
        return RedisLimiter(self, name, _BUCKET, (rate, burst), local)

    def window(self, name: str, count: int, seconds: float) -> Limiter:
        """At most `count` in any `seconds`."""
        local = LocalLimiter(WindowLimiter(count, seconds))
        if self.redis is None:
            return local
        return RedisLimiter(self, name, _WINDOW, (count, seconds), local)

    async def pause(self, name: str, seconds: float) -> None:
        """Every worker stops sending on `name` for `seconds` (Telegram's 429)."""
        if self.redis is None:
            return
        try:
            await self.redis.set(f"{self.prefix}:pause:{name}", "1", px=max(1, int(seconds * 1000)))
        except (RedisError, OSError) as error:
            self.outage(error)

    async def paused_for(self, name: str) -> float:
        """Seconds left of a pause another worker set (0 when none)."""
        if self.redis is None:
            return 0.0
        try:
            left = await self.redis.pttl(f"{self.prefix}:pause:{name}")
        except (RedisError, OSError) as error:
            self.outage(error)
            return 0.0
        return max(0.0, left / 1000) if left and left > 0 else 0.0

    def outage(self, error: Exception) -> None:
        """Redis did not answer: the limits hold per process until it does (logged)."""
        now = time.monotonic()
        if now - self._outage_logged_at >= _OUTAGE_LOG_SECONDS:
            self._outage_logged_at = now
            logger.warning(
                "redis unreachable (%s): send limits hold per process until it answers",
                type(error).__name__,
            )

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    @classmethod
    def from_url(cls, url: str | None, prefix: str = "cds") -> Budgets:
        redis = Redis.from_url(url, decode_responses=True, socket_timeout=2) if url else None
        return cls(redis, prefix)
