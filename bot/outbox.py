"""Background sender of outbox rows through each channel, respecting what the platform says."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.channels.base import (
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    TemporaryFailure,
)
from bot.context import AppContext
from bot.messages import Reply
from bot.privacy import mask_id
from storage import outbox
from storage.conversations import mark_blocked
from storage.models import OutboxMessage

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BATCH_SIZE = 50


def backoff(attempt: int) -> timedelta:
    """2, 4, 8, 16... seconds, capped at 5 minutes."""
    return timedelta(seconds=min(2**attempt, 300))


class OutboxSender:
    """Claims due rows and delivers them; one pass is `send_due`, the loop is `run`."""

    def __init__(self, app: AppContext) -> None:
        self.app = app

    async def recover(self) -> int:
        """Flag rows left 'sending' by a crash; call once at start-up."""
        async with self.app.transaction() as db:
            count = await outbox.recover_interrupted(db)
        if count:
            logger.warning("outbox: %d message(s) were in flight at the last stop", count)
        return count

    async def send_due(self) -> int:
        """Deliver every message due now; returns how many rows were attempted."""
        attempted = 0
        while True:
            async with self.app.transaction() as db:
                rows = await outbox.claim_due(
                    db, self.app.clock.now(), BATCH_SIZE, list(self.app.channels)
                )
            if not rows:
                return attempted
            for row in rows:
                await self._deliver(row)
            attempted += len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set, waking early when a handler queued something."""
        poll = self.app.settings.outbox_poll_seconds
        wakeup = self.app.outbox_wakeup
        while not stop.is_set():
            # Cleared before the pass, so a wake-up during the pass is not lost.
            wakeup.clear()
            try:
                await self.send_due()
            except Exception:
                logger.exception("outbox pass failed; retrying")
            await _wait_for_either(stop, wakeup, poll)

    async def _deliver(self, row: OutboxMessage) -> None:
        channel = self.app.channels[row.channel]
        where = f"channel={row.channel} chat={mask_id(row.chat_id)} id={row.id}"
        try:
            await channel.send(row.chat_id, Reply.from_dict(row.reply))
        except RetryAfter as error:
            await self._reschedule(row, timedelta(seconds=error.seconds), f"retry after {error}")
            logger.info("outbox: rate limited, waiting %.1fs %s", error.seconds, where)
        except TemporaryFailure as error:
            if row.attempts >= MAX_ATTEMPTS:
                await self._fail(row, outbox.FAILED, f"gave up: {error}")
                logger.error("outbox: gave up after %d attempts %s: %s", row.attempts, where, error)
            else:
                await self._reschedule(row, backoff(row.attempts), str(error))
        except RecipientUnreachable as error:
            await self._fail(row, outbox.UNREACHABLE, str(error))
            async with self.app.transaction() as db:
                await mark_blocked(db, row.channel, row.chat_id, self.app.clock.now())
            logger.info("outbox: recipient unreachable %s", where)
        except (PermanentFailure, Exception) as error:
            await self._fail(row, outbox.FAILED, f"{type(error).__name__}: {error}")
            logger.exception("outbox: send failed %s", where)
        else:
            async with self.app.transaction() as db:
                await outbox.mark_sent(db, row.id, self.app.clock.now())

    async def _reschedule(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.app.transaction() as db:
            await outbox.reschedule(db, row.id, self.app.clock.now() + delay, error)

    async def _fail(self, row: OutboxMessage, status: str, error: str) -> None:
        async with self.app.transaction() as db:
            await outbox.mark_failed(db, row.id, status, error)


async def _wait_for_either(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    """Return when either event is set, or after `seconds`."""
    waiters = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
