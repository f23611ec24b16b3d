"""The inbox of a webhook or polling channel: store first, acknowledge second, handle third.

A channel stores each platform update (one transaction) before it answers the webhook or
moves the polling offset; the dispatcher stores the replies together with the handler's
work; the channel marks the update done once the replies went out. After a crash,
`resume` hands back what was stored and not finished, so nothing acknowledged is lost;
only replies that were being sent at the crash may arrive twice (they are counted).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.batching import GroupCommit
from bot.context import AppContext
from bot.messages import Reply, clean_json
from storage import inbox as store
from storage.inbox import Received
from storage.models import InboxStatus

logger = logging.getLogger(__name__)

ORDER_WAIT_SECONDS = 10.0
ORDER_POLL_SECONDS = 0.02


@dataclass
class Unfinished:
    """What `resume` found: updates to handle, and replies to send again."""

    to_handle: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    to_resend: list[tuple[int, str | None, list[Reply]]] = field(default_factory=list)


class Inbox:
    """One channel's stored updates."""

    def __init__(self, app: AppContext, channel: str) -> None:
        self.app = app
        self.channel = channel
        self.resent_after_restart = 0
        # Updates arriving together (webhook calls, finished turns) share one transaction.
        self._storing = GroupCommit(app, self._store_batch)
        self._finishing = GroupCommit(app, self._done_batch)
        # Updates this process took and could not finish: they stay stored (handled again
        # after a restart) but must not hold up the later updates of their chat.
        self._failed_here: set[int] = set()

    async def store(self, updates: Sequence[Received]) -> list[int | None]:
        """Persist updates; the inbox id of each (None: a re-delivery). Returns once they are
        committed, together with those of concurrent callers.

        Strings are cleaned first (NUL, lone surrogates): PostgreSQL refuses them, and an
        update that cannot be stored cannot be acknowledged.
        """
        cleaned = [replace(update, payload=clean_json(update.payload)) for update in updates]
        return await self._storing.submit(cleaned)

    async def done(self, inbox_id: int) -> None:
        """The update's replies went out. Batched: if the process dies before this commits,
        the replies are sent again after the restart (counted), never lost."""
        await self._finishing.submit(inbox_id)

    def failed(self, inbox_id: int) -> None:
        """Handling the update raised: it stays stored for the next run."""
        self._failed_here.add(inbox_id)

    async def _store_batch(
        self, db: AsyncSession, batches: Sequence[list[Received]]
    ) -> list[list[int | None]]:
        now = self.app.clock.now()
        return [await store.store(db, self.channel, batch, now) for batch in batches]

    async def _done_batch(self, db: AsyncSession, inbox_ids: Sequence[int]) -> list[None]:
        await store.mark_done(db, inbox_ids, self.app.clock.now())
        return [None] * len(inbox_ids)

    async def wait_for_earlier(self, inbox_id: int, chat_id: str) -> None:
        """With several workers, wait until this chat's earlier updates are handled (by
        whichever worker took them), so one chat's updates are handled in arrival order.

        One worker keeps that order with its own per-chat lock; this matters only when the
        database is shared (PostgreSQL). A bound on the wait keeps a stuck earlier update
        (its worker died: it is handled after the restart) from blocking the chat.
        """
        if self.app.engine.dialect.name == "sqlite":
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ORDER_WAIT_SECONDS
        while loop.time() < deadline:
            async with self.app.open_db() as db:
                earlier = await store.earlier_unfinished(db, self.channel, chat_id, inbox_id)
            if not set(earlier) - self._failed_here:
                return
            await asyncio.sleep(ORDER_POLL_SECONDS)
        logger.warning("%s: handling an update before an earlier one of its chat", self.channel)

    async def resume(self) -> Unfinished:
        """What the last run stored and did not finish, oldest first."""
        async with self.app.open_db() as db:
            rows = await store.unfinished(db, self.channel)
        found = Unfinished()
        for row in rows:
            if row.status == InboxStatus.RECEIVED:
                found.to_handle.append((row.id, dict(row.payload)))
            else:
                replies = [Reply.from_dict(reply) for reply in row.replies or []]
                found.to_resend.append((row.id, row.chat_id, replies))
        if rows:
            self.resent_after_restart += len(found.to_resend)
            logger.warning(
                "%s: %d stored update(s) to handle and %d answered update(s) whose replies "
                "may not have been sent before the last stop (sending them again)",
                self.channel,
                len(found.to_handle),
                len(found.to_resend),
            )
        return found
