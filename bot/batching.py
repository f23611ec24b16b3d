"""Group commit: concurrent callers' small writes done together in one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """`await submit(item)` returns once `work(db, items)` committed with the other items
    submitted meanwhile (those of every delivery that reached the same point).

    The outbox sender marks rows "on the wire" and "sent" this way: each marker is durable
    before the caller goes on, but sixteen concurrent deliveries share one transaction.
    """

    def __init__(
        self,
        app: AppContext,
        work: Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]],
    ) -> None:
        self.app = app
        self._work = work
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        done: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await done

    async def _flush(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # let the other deliveries that are ready join in
            batch, self._waiting = self._waiting, []
            try:
                async with self.app.transaction() as db:
                    results = await self._work(db, [item for item, _ in batch])
            except BaseException as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, done), result in zip(batch, results, strict=True):
                if not done.done():
                    done.set_result(result)
