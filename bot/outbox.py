"""Background sender of outbox rows through each channel, respecting what the platform says.

Rows are leased in batches (nothing about them changes but the lease) and flipped to
`sending` one by one, right before they go on the wire: a crash leaves only those in
doubt, and everything merely leased is sent after a restart. Chats are served
concurrently; the rows of one chat go out in order.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.batching import GroupCommit
from bot.channels.base import (
    NotAllowed,
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    Sent,
    TemporaryFailure,
    Withdrawn,
)
from bot.clock import DailyWindow
from bot.context import AppContext
from bot.messages import Reply
from bot.privacy import mask_id
from storage import outbox_leases
from storage.conversations import mark_blocked
from storage.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def backoff(attempt: int) -> timedelta:
    """2, 4, 8, 16... seconds, capped at 5 minutes."""
    return timedelta(seconds=min(2**attempt, 300))


def sender_id() -> str:
    """A lease owner name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class SenderTuning:
    """Batch size, concurrency and lease length; tests and benchmarks change them."""

    batch_size: int = 100
    concurrency: int = 16  # chats served at once
    # A leased row not started by then is free for another sender (its owner died); a row
    # still `sending` after it belonged to a dead sender. Longer than any send can take
    # (HTTP timeouts are ~15 s), so a live sender is never disturbed.
    lease: timedelta = timedelta(seconds=30)

    @property
    def recover_every_seconds(self) -> float:
        return self.lease.total_seconds() / 2


class OutboxSender:
    """Claims due rows and delivers them; one pass is `send_due`, the loop is `run`."""

    def __init__(self, app: AppContext, tuning: SenderTuning | None = None) -> None:
        self.app = app
        self.tuning = tuning or SenderTuning(
            lease=timedelta(seconds=app.settings.outbox_lease_seconds)
        )
        self.owner = sender_id()
        self._stopping = False
        # Concurrent deliveries mark "on the wire" and "sent" in shared transactions.
        self._on_wire = GroupCommit(app, self._begin_sends)
        self._sent_marks = GroupCommit(app, self._mark_sent)
        # No message to many people at night: they wait for the end of the quiet hours.
        self._quiet = DailyWindow.parse(app.settings.quiet_hours)

    async def recover(self, *, at_start: bool = True) -> outbox_leases.Recovery:
        """Resend or flag rows a dead sender left on the wire; release its leases.

        At start-up on SQLite this process is the only sender, so every lease and every
        `sending` row is a dead process's; elsewhere only expired leases are touched.
        """
        sole = at_start and self.app.engine.dialect.name == "sqlite"
        async with self.app.transaction() as db:
            found = await outbox_leases.recover(db, self.app.clock.now(), sole_sender=sole)
        if found.resent or found.in_doubt:
            logger.warning(
                "outbox: %d message(s) were on the wire when a sender stopped: "
                "%d sent again (their policy), %d left in doubt (see `outbox status`)",
                found.resent + found.in_doubt,
                found.resent,
                found.in_doubt,
            )
        if found.released:
            logger.info("outbox: %d leased message(s) released for sending", found.released)
        return found

    async def send_due(self) -> int:
        """Deliver every message due now; returns how many rows were taken."""
        taken = 0
        while not self._stopping:
            now = self.app.clock.now()
            async with self.app.transaction() as db:
                rows = await outbox_leases.claim(
                    db,
                    self.owner,
                    now,
                    self.tuning.lease,
                    self.tuning.batch_size,
                    list(self.app.channels),
                    bulk=not self._quiet.contains(now),
                )
            if not rows:
                return taken
            await self._deliver_batch(rows)
            taken += len(rows)
        return taken

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until `stop` is set, waking early when a handler queued something."""
        poll = self.app.settings.outbox_poll_seconds
        wakeup = self.app.outbox_wakeup
        loop = asyncio.get_running_loop()
        next_recovery = loop.time() + self.tuning.recover_every_seconds
        watcher = asyncio.create_task(self._watch(stop))
        try:
            while not stop.is_set():
                # Cleared before the pass, so a wake-up during the pass is not lost.
                wakeup.clear()
                try:
                    if loop.time() >= next_recovery:
                        next_recovery = loop.time() + self.tuning.recover_every_seconds
                        await self.recover(at_start=False)
                    await self.send_due()
                except Exception:
                    logger.exception("outbox pass failed; retrying")
                await wait_for_either(stop, wakeup, poll)
        finally:
            watcher.cancel()

    async def _watch(self, stop: asyncio.Event) -> None:
        """Stop starting new sends as soon as `stop` is set (in-flight ones finish)."""
        await stop.wait()
        self._stopping = True

    async def _deliver_batch(self, rows: Sequence[OutboxMessage]) -> None:
        by_chat: dict[tuple[str, str, str | None], list[OutboxMessage]] = {}
        for row in rows:
            by_chat.setdefault((row.channel, row.chat_id, row.thread_id), []).append(row)
        slots = asyncio.Semaphore(self.tuning.concurrency)

        async def serve(chat_rows: list[OutboxMessage]) -> None:
            async with slots:
                for index, row in enumerate(chat_rows):
                    if self._stopping:
                        await self._release(chat_rows[index:])
                        return
                    if not await self._deliver(row):
                        # Keep the chat's order: what follows waits for the next pass.
                        await self._release(chat_rows[index + 1 :])
                        return

        await asyncio.gather(*(serve(chat_rows) for chat_rows in by_chat.values()))

    async def _deliver(self, row: OutboxMessage) -> bool:
        """Send one row and record the outcome; False when it must be tried again later."""
        channel = self.app.channels[row.channel]
        where = f"channel={row.channel} chat={mask_id(row.chat_id)} id={row.id} kind={row.kind}"
        if row.send_before is not None and self.app.clock.now() >= row.send_before:
            await self._final(row, OutboxStatus.SKIPPED, "too late: its day is over")
            return True

        async def on_wire() -> bool:
            return await self._on_wire.submit(row.id)

        try:
            sent = await channel.send(
                row.chat_id,
                Reply.from_dict(row.reply),
                thread_id=row.thread_id,
                on_wire=on_wire,
                priority=row.priority,
            )
        except Withdrawn:
            logger.debug("outbox: withdrawn before sending %s", where)
            return True
        except RetryAfter as error:
            metrics.OUTBOX_SENDS.labels(row.channel, "retry_after").inc()
            await self._reschedule(row, timedelta(seconds=error.seconds), f"retry after {error}")
            logger.info("outbox: rate limited, waiting %.1fs %s", error.seconds, where)
            return False
        except TemporaryFailure as error:
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._final(row, OutboxStatus.FAILED, f"gave up: {error}")
                logger.error("outbox: gave up after %d attempts %s: %s", MAX_ATTEMPTS, where, error)
                return True
            await self._reschedule(row, backoff(row.attempts + 1), str(error))
            row.attempts += 1
            return False
        except RecipientUnreachable as error:
            await self._final(row, OutboxStatus.UNREACHABLE, str(error))
            async with self.app.transaction() as db:
                await mark_blocked(db, row.channel, row.chat_id, self.app.clock.now())
            logger.info("outbox: recipient unreachable %s", where)
            return True
        except NotAllowed as error:
            await self._final(row, OutboxStatus.SKIPPED, str(error))
            logger.info("outbox: skipped %s: %s", where, error)
            return True
        except PermanentFailure as error:  # refused by the platform: not our bug
            await self._final(row, OutboxStatus.FAILED, str(error))
            logger.warning("outbox: refused %s: %s", where, error)
            return True
        except Exception as error:  # anything unexpected
            await self._final(row, OutboxStatus.FAILED, f"{type(error).__name__}: {error}")
            logger.exception("outbox: send failed %s", where)
            return True
        await self._sent(row, sent)
        return True

    async def _sent(self, row: OutboxMessage, sent: Sent | None) -> None:
        metrics.OUTBOX_SENDS.labels(row.channel, str(OutboxStatus.SENT)).inc()
        await self._sent_marks.submit((row.id, sent.message_id if sent is not None else None))

    async def _begin_sends(self, db: AsyncSession, row_ids: Sequence[int]) -> list[bool]:
        started = await outbox_leases.begin_send(
            db, row_ids, self.owner, self.app.clock.now(), self.tuning.lease
        )
        return [row_id in started for row_id in row_ids]

    async def _mark_sent(
        self, db: AsyncSession, sent: Sequence[tuple[int, str | None]]
    ) -> list[None]:
        await outbox_leases.mark_sent(db, sent, self.app.clock.now())
        return [None] * len(sent)

    async def _reschedule(self, row: OutboxMessage, delay: timedelta, error: str) -> None:
        async with self.app.transaction() as db:
            await outbox_leases.reschedule(db, row.id, self.app.clock.now() + delay, error)

    async def _final(self, row: OutboxMessage, status: OutboxStatus, error: str) -> None:
        metrics.OUTBOX_SENDS.labels(row.channel, str(status)).inc()
        async with self.app.transaction() as db:
            await outbox_leases.mark_final(db, row.id, status, error)

    async def _release(self, rows: Sequence[OutboxMessage]) -> None:
        if rows:
            async with self.app.transaction() as db:
                await outbox_leases.release(db, [row.id for row in rows], self.owner)


async def wait_for_either(first: asyncio.Event, second: asyncio.Event, seconds: float) -> None:
    """Return when either event is set, or after `seconds`."""
    waiters = [asyncio.create_task(first.wait()), asyncio.create_task(second.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
