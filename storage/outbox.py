"""Outbox rows: messages to other people, queued first and sent by the background sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.sql import insert_ignoring_conflicts, supports_skip_locked

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNREACHABLE = "unreachable"
# A send that was in flight when the process died: it may or may not have arrived.
# It is not retried, so nobody gets the same message twice; organizers see it in reports.
INTERRUPTED = "interrupted"


async def enqueue(
    session: AsyncSession,
    *,
    channel: str,
    chat_id: str,
    reply: dict[str, Any],
    now: datetime,
    not_before: datetime | None = None,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a message; False when a message with the same dedupe key is already queued."""
    result = await session.execute(
        insert_ignoring_conflicts(session, OutboxMessage).values(
            channel=channel,
            chat_id=chat_id,
            reply=reply,
            status=PENDING,
            attempts=0,
            not_before=not_before or now,
            created_at=now,
            dedupe_key=dedupe_key,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_due(
    session: AsyncSession, now: datetime, limit: int, channels: Sequence[str]
) -> list[OutboxMessage]:
    """Mark up to `limit` due messages as sending and return them (oldest first)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.not_before <= now,
            OutboxMessage.channel.in_(list(channels)),
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if supports_skip_locked(session):
        query = query.with_for_update(skip_locked=True)
    rows = list((await session.execute(query)).scalars().all())
    for row in rows:
        row.status = SENDING
        row.attempts += 1
    return rows


async def mark_sent(session: AsyncSession, message_id: int, now: datetime) -> None:
    """The platform accepted the message."""
    await _set(session, message_id, status=SENT, sent_at=now, last_error=None)


async def reschedule(
    session: AsyncSession, message_id: int, not_before: datetime, error: str
) -> None:
    """Try again later (rate limit or temporary failure)."""
    await _set(session, message_id, status=PENDING, not_before=not_before, last_error=error)


async def mark_failed(session: AsyncSession, message_id: int, status: str, error: str) -> None:
    """Give up on a message (permanently failed or recipient unreachable)."""
    await _set(session, message_id, status=status, last_error=error)


async def recover_interrupted(session: AsyncSession) -> int:
    """After a crash, flag messages that were being sent; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING)
        .values(status=INTERRUPTED, last_error="process stopped during send")
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """How many messages are in each status (for health and reports)."""
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def _set(session: AsyncSession, message_id: int, **values: Any) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )
