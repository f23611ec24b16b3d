"""Per-key locks: serial for one key, concurrent across keys, and no leak of idle keys."""

from __future__ import annotations

import asyncio

from bot.locks import KeyedLocks


async def test_same_key_serial_other_keys_concurrent() -> None:
    locks = KeyedLocks()
    active: dict[str, int] = {"a": 0, "b": 0}
    peaks = {"a": 0, "b": 0, "total": 0}
    order: list[str] = []

    async def work(key: str, label: str) -> None:
        async with locks.hold(key):
            active[key] += 1
            peaks[key] = max(peaks[key], active[key])
            peaks["total"] = max(peaks["total"], sum(active.values()))
            await asyncio.sleep(0.01)
            order.append(label)
            active[key] -= 1

    await asyncio.gather(*(work(k, f"{k}{i}") for i in range(5) for k in "ab"))
    assert peaks["a"] == 1 and peaks["b"] == 1
    assert peaks["total"] == 2
    assert [x for x in order if x[0] == "a"] == [f"a{i}" for i in range(5)]
    assert len(locks) == 0


async def test_priority_turns_serve_the_lowest_number_first() -> None:
    from bot.turns import PriorityTurns

    turns = PriorityTurns()
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with turns.turn(20):
            holding.set()
            await release.wait()

    async def waiter(name: str, priority: int) -> None:
        async with turns.turn(priority):
            order.append(name)

    first = asyncio.create_task(holder())
    await holding.wait()
    waiters = [
        asyncio.create_task(waiter(name, priority))
        for name, priority in (("bulk-1", 20), ("bulk-2", 20), ("reply", 0), ("notice", 10))
    ]
    await asyncio.sleep(0)  # every waiter is queued behind the holder
    assert order == []
    release.set()
    await asyncio.wait_for(asyncio.gather(first, *waiters), timeout=5)
    assert order == ["reply", "notice", "bulk-1", "bulk-2"]
