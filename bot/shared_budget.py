"""Rate limits and pauses kept in Redis, so that several worker processes share one budget.

With N workers each holding its own limiter, the bot would send N x 30 messages a second and
be limited by Telegram. With REDIS_URL set, every limiter of the bot (the channels' send
budgets, the web API's limits) and Telegram's 429 pause live in Redis, updated atomically by
small Lua scripts that use the Redis server's clock (the workers' clocks may differ). Without
it, the same limiters run in process memory (one worker, the embedded default).
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Protocol

from redis.asyncio import Redis

from bot.ratelimit import RateLimiter, WindowLimiter

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
    """The same limits in Redis, shared by every worker."""

    def __init__(self, redis: Redis, name: str, script: str, args: tuple[float, float]) -> None:
        self._redis = redis
        self._name = name
        self._script = redis.register_script(script)
        self._args = args
        self._sequence = 0

    async def acquire(self, key: Hashable) -> float:
        self._sequence += 1
        result = await self._script(
            keys=[f"cds:limit:{self._name}:{key}"], args=[*self._args, self._sequence]
        )
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

    def __init__(self, redis: Redis | None = None) -> None:
        self.redis = redis

    @property
    def shared(self) -> bool:
        return self.redis is not None

    def bucket(self, name: str, rate: float, burst: float) -> Limiter:
        """`rate` per second, bursts of `burst`."""
        if self.redis is None:
            return LocalLimiter(RateLimiter(rate, burst))
        return RedisLimiter(self.redis, name, _BUCKET, (rate, burst))

    def window(self, name: str, count: int, seconds: float) -> Limiter:
        """At most `count` in any `seconds`."""
        if self.redis is None:
            return LocalLimiter(WindowLimiter(count, seconds))
        return RedisLimiter(self.redis, name, _WINDOW, (count, seconds))

    async def pause(self, name: str, seconds: float) -> None:
        """Every worker stops sending on `name` for `seconds` (Telegram's 429)."""
        if self.redis is not None:
            await self.redis.set(f"cds:pause:{name}", "1", px=max(1, int(seconds * 1000)))

    async def paused_for(self, name: str) -> float:
        """Seconds left of a pause another worker set (0 when none)."""
        if self.redis is None:
            return 0.0
        left = await self.redis.pttl(f"cds:pause:{name}")
        return max(0.0, left / 1000) if left and left > 0 else 0.0

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()

    @classmethod
    def from_url(cls, url: str | None) -> Budgets:
        return cls(Redis.from_url(url, decode_responses=True) if url else None)
