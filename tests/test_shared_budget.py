"""Send budgets shared through Redis: what one worker takes, another cannot; a 429 pause set
by one is seen by all; and a Redis outage leaves the limits per process instead of failing."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.shared_budget import Budgets
from tests.redis_support import REDIS_URL, redis_reachable


@pytest.fixture
async def two_workers() -> AsyncIterator[tuple[Budgets, Budgets]]:
    """Two processes' budgets (two connections) on one fresh key prefix."""
    if not await redis_reachable():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    first, second = Budgets.from_url(REDIS_URL, prefix), Budgets.from_url(REDIS_URL, prefix)
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_a_token_taken_by_one_worker_is_gone_for_the_other(
    two_workers: tuple[Budgets, Budgets],
) -> None:
    first, second = two_workers
    mine, theirs = (b.bucket("telegram:all", 1.0, 1.0) for b in two_workers)
    assert await mine.acquire("all") == 0.0
    wait = await theirs.acquire("all")
    assert 0.5 < wait <= 1.0
    # Another key (another chat) has its own budget.
    assert await theirs.acquire("chat-2") == 0.0
    assert first.shared and second.shared


async def test_a_window_counts_every_workers_messages(
    two_workers: tuple[Budgets, Budgets],
) -> None:
    mine, theirs = (b.window("telegram:group", 3, 60.0) for b in two_workers)
    assert [await mine.acquire("-100"), await theirs.acquire("-100")] == [0.0, 0.0]
    assert await mine.acquire("-100") == 0.0
    assert await theirs.acquire("-100") > 50  # the 4th of 3 a minute waits for the 1st


async def test_a_pause_set_by_one_worker_holds_for_all(
    two_workers: tuple[Budgets, Budgets],
) -> None:
    first, second = two_workers
    assert await second.paused_for("telegram") == 0.0
    await first.pause("telegram", 5.0)
    assert 4.0 < await second.paused_for("telegram") <= 5.0
    assert await second.paused_for("zalo_oa") == 0.0


async def test_without_redis_the_limits_hold_in_the_process(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budgets = Budgets.from_url("redis://127.0.0.1:1/0", "test")  # nothing listens there
    limiter = budgets.bucket("telegram:all", 1.0, 1.0)
    caplog.set_level(logging.WARNING, "bot.shared_budget")
    try:
        assert await limiter.acquire("all") == 0.0
        assert await limiter.acquire("all") > 0.5  # the process's own bucket
        await budgets.pause("telegram", 3.0)  # not raised: nothing to share it with
        assert await budgets.paused_for("telegram") == 0.0
    finally:
        await budgets.close()
    warnings = [r.getMessage() for r in caplog.records if "redis unreachable" in r.getMessage()]
    assert len(warnings) == 1  # said once, not once per message
