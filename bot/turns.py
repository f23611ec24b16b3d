"""Taking turns by priority: lower numbers first, first come first served within one."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class PriorityTurns:
    """Like an asyncio.Lock, but a waiter with a lower priority number goes first.

    The send gate uses it so that a reply someone is waiting for takes the next token
    before any of the queued broadcast messages waiting for theirs.
    """

    def __init__(self) -> None:
        self._busy = False
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @asynccontextmanager
    async def turn(self, priority: int = 0) -> AsyncIterator[None]:
        if self._busy or self._waiting:
            given: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._order), given))
            try:
                await given
            except asyncio.CancelledError:
                if given.done() and not given.cancelled():  # handed the turn, then cancelled
                    self._pass_on()
                raise
        else:
            self._busy = True
        try:
            yield
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        while self._waiting:
            _, _, given = heapq.heappop(self._waiting)
            if not given.done():
                given.set_result(None)
                return
        self._busy = False
