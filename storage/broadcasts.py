"""Organizers' announcements: the row, its schedule, and cancelling what is not sent yet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import Broadcast, BroadcastStatus, OutboxMessage


def source_of(broadcast_id: int) -> str:
    """The outbox `source` of this announcement's messages (delivery reports use it)."""
    return f"broadcast:{broadcast_id}"


async def create(
    db: AsyncSession,
    *,
    text: str,
    audience: str,
    commune: str | None,
    send_at: datetime,
    created_by: str,
    now: datetime,
) -> Broadcast:
    broadcast = Broadcast(
        text=text,
        audience=audience,
        commune=commune,
        status=BroadcastStatus.SCHEDULED,
        send_at=send_at,
        created_by=created_by,
        created_at=now,
        queued_up_to="",
        queued=0,
    )
    db.add(broadcast)
    await db.flush()
    return broadcast


async def get(db: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await db.get(Broadcast, broadcast_id)


async def recent(db: AsyncSession, limit: int = 20) -> Sequence[Broadcast]:
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    return (await db.execute(query)).scalars().all()


async def next_due(db: AsyncSession, now: datetime) -> Broadcast | None:
    """The oldest announcement whose time has come and whose audience is not all queued;
    locked, so two processes never queue the same batch at once (SKIP LOCKED elsewhere)."""
    query = (
        select(Broadcast)
        .where(
            Broadcast.status.in_([BroadcastStatus.SCHEDULED, BroadcastStatus.QUEUING]),
            Broadcast.send_at <= now,
        )
        .order_by(Broadcast.send_at, Broadcast.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def cancel(db: AsyncSession, broadcast_id: int, now: datetime) -> int | None:
    """Stop an announcement: nothing more is queued and unsent messages are dropped.
    Returns how many queued messages were dropped, None when there is no such broadcast."""
    broadcast = await db.get(Broadcast, broadcast_id, with_for_update=True)
    if broadcast is None:
        return None
    if broadcast.status != BroadcastStatus.CANCELLED:
        broadcast.status = BroadcastStatus.CANCELLED
        broadcast.finished_at = now
    return await outbox.withdraw(
        db, OutboxMessage.source == source_of(broadcast_id), reason="announcement cancelled"
    )
