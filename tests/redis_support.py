"""The Redis the shared-budget tests use (these machines run one on 127.0.0.1)."""

from __future__ import annotations

import os

from redis.asyncio import Redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def redis_reachable() -> bool:
    redis = Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        return bool(await redis.ping())
    except Exception:
        return False
    finally:
        await redis.aclose()
