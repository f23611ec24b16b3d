"""Background tasks a channel starts per update, tracked so that a stop can wait for them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TrackedTasks:
    """A set of running tasks: spawn, count, and finish them with a grace period."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def __len__(self) -> int:
        return len(self._tasks)

    async def finish(self, grace_seconds: float) -> int:
        """Wait up to `grace_seconds` for the tasks, then cancel the rest; returns how many
        were cancelled (their updates stay in the inbox and are handled after a restart)."""
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            logger.warning("%s: cancelled %d update(s) at shutdown", self.name, len(pending))
            await asyncio.gather(*pending, return_exceptions=True)
        return len(pending)
