"""The sender's side of the outbox: lease due rows, put them on the wire, record the outcome.

Claiming only leases rows: a crash before `begin_send` leaves them pending, and they are
sent after the lease expires (or at once at start-up when this process is the only sender).
`recover` deals with the rows a dead sender left on the wire. The transitions are listed
in storage/outbox.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InDoubtPolicy, OutboxMessage, OutboxStatus
from storage.outbox import OUTBOX, Priority
from storage.sql import rowcount, supports_skip_locked


def _claimable(now: datetime, channels: Sequence[str], bulk: bool) -> Any:
    conditions = [
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.not_before <= now,
        OutboxMessage.channel.in_(list(channels)),
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    ]
    if not bulk:
        conditions.append(OutboxMessage.priority < Priority.BULK)
    return and_(*conditions)


async def claim(
    db: AsyncSession,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Sequence[str],
    *,
    bulk: bool = True,
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to `owner` (most urgent first); their status stays pending.

    Without `bulk` (quiet hours), messages to many people are left for later.
    """
    if not channels:
        return []
    query = (
        select(OutboxMessage)
        .where(_claimable(now, channels, bulk))
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if supports_skip_locked(db):
        query = query.with_for_update(skip_locked=True)
    rows = list((await db.execute(query)).scalars().all())
    until = now + lease
    for row in rows:
        row.lease_owner, row.lease_until = owner, until
    await db.flush()
    return rows


async def begin_send(
    db: AsyncSession, message_ids: Sequence[int], owner: str, now: datetime, lease: timedelta
) -> set[int]:
    """Mark leased rows as on the wire; returns those marked (not withdrawn, lease kept)."""
    result = await db.execute(
        update(OUTBOX)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.lease_owner == owner,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            lease_until=now + lease,
        )
        .returning(OutboxMessage.id)
    )
    return {int(row_id) for row_id in result.scalars().all()}


async def release(db: AsyncSession, message_ids: Sequence[int], owner: str) -> None:
    """Give back leased rows that were not started (shutdown, or a chat's earlier row failed)."""
    await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.lease_owner == owner,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(lease_owner=None, lease_until=None)
    )


async def mark_sent(
    db: AsyncSession, sent: Sequence[tuple[int, str | None]], now: datetime
) -> None:
    """The platform accepted these messages: (row id, the platform's message id) each."""
    table = OUTBOX
    await db.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            last_error=None,
            lease_owner=None,
            lease_until=None,
            platform_message_id=bindparam("platform_id"),
        ),
        [{"row_id": row_id, "platform_id": platform_id} for row_id, platform_id in sent],
    )


async def reschedule(db: AsyncSession, message_id: int, not_before: datetime, error: str) -> None:
    """Try again later (rate limit or temporary failure)."""
    await _finish(
        db, message_id, status=OutboxStatus.PENDING, not_before=not_before, last_error=error
    )


async def mark_final(db: AsyncSession, message_id: int, status: OutboxStatus, error: str) -> None:
    """Give up on a message: failed, unreachable recipient, or skipped by the channel."""
    await _finish(db, message_id, status=status, last_error=error[:500])


async def _finish(db: AsyncSession, message_id: int, **values: Any) -> None:
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(lease_owner=None, lease_until=None, **values)
    )


@dataclass(frozen=True)
class Recovery:
    """Rows found on the wire of a dead sender: resent (policy) or left in doubt."""

    resent: int
    in_doubt: int
    released: int  # leased but never attempted: simply pending again


async def recover(db: AsyncSession, now: datetime, *, sole_sender: bool) -> Recovery:
    """Deal with rows a dead sender left behind.

    A row `sending` whose lease has expired was on the wire when its sender died. With
    `sole_sender` (one process on SQLite, at start-up) every lease belongs to a dead
    process, expired or not; otherwise only expired leases are touched, so the rows of
    a live sender are never disturbed.
    """
    on_wire = OutboxMessage.status == OutboxStatus.SENDING
    if not sole_sender:
        on_wire = and_(on_wire, OutboxMessage.lease_until < now)
    resent = await db.execute(
        update(OutboxMessage)
        .where(on_wire, OutboxMessage.on_doubt == InDoubtPolicy.RESEND)
        .values(
            status=OutboxStatus.PENDING,
            in_doubt_at=now,
            not_before=now,
            lease_owner=None,
            lease_until=None,
            last_error="sender stopped during the send; sent again",
        )
    )
    doubted = await db.execute(
        update(OutboxMessage)
        .where(on_wire)
        .values(
            status=OutboxStatus.IN_DOUBT,
            in_doubt_at=now,
            lease_owner=None,
            lease_until=None,
            last_error="sender stopped during the send; it may or may not have arrived",
        )
    )
    released = 0
    if sole_sender:
        released = rowcount(
            await db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.lease_owner.is_not(None),
                )
                .values(lease_owner=None, lease_until=None)
            )
        )
    return Recovery(rowcount(resent), rowcount(doubted), released)
