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
