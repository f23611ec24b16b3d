"""Subscriptions to the 1-10 October reminders: one row per chat, its slot and commune."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, ReminderSlot, Subscription
from storage.sql import insert_ignoring_conflicts, rowcount


async def find(db: AsyncSession, channel: str, chat_id: str) -> Subscription | None:
    query = select(Subscription).where(
        Subscription.channel == channel, Subscription.chat_id == chat_id
    )
    return (await db.execute(query)).scalar_one_or_none()


async def subscribe(
    db: AsyncSession, channel: str, chat_id: str, slot: ReminderSlot, now: datetime
) -> Subscription:
    """Subscribe (or change the slot of) this chat; safe when two requests race."""
    await db.execute(
        insert_ignoring_conflicts(db, Subscription).values(
            channel=channel, chat_id=chat_id, slot=slot, created_at=now, updated_at=now
        )
    )
    found = await find(db, channel, chat_id)
    assert found is not None
    found.slot, found.updated_at = slot, now
    return found


async def set_commune(
    db: AsyncSession, channel: str, chat_id: str, commune: str | None, now: datetime
) -> bool:
    found = await find(db, channel, chat_id)
    if found is None:
        return False
    found.commune, found.updated_at = commune, now
    return True


async def stop(db: AsyncSession, channel: str, chat_id: str) -> bool:
    """Remove the subscription; True when there was one."""
    result = await db.execute(
        delete(Subscription).where(Subscription.channel == channel, Subscription.chat_id == chat_id)
    )
    return rowcount(result) > 0


async def among(
    db: AsyncSession, people: Sequence[tuple[str, str]], slot: ReminderSlot
) -> Sequence[Subscription]:
    """The subscriptions of `slot` among these (channel, chat id) pairs."""
    if not people:
        return []
    query = select(Subscription).where(
        Subscription.slot == slot,
        tuple_(Subscription.channel, Subscription.chat_id).in_(list(people)),
    )
    return (await db.execute(query)).scalars().all()


async def batch(
    db: AsyncSession,
    *,
    after_id: int,
    limit: int,
    slot: ReminderSlot | None = None,
    commune: str | None = None,
) -> Sequence[Subscription]:
    """Subscribers in id order after `after_id` (keyset paging: 100,000 need no memory),
    leaving out people the platform said blocked the bot."""
    query = (
        select(Subscription)
        .outerjoin(
            Conversation,
            (Conversation.channel == Subscription.channel)
            & (Conversation.chat_id == Subscription.chat_id),
        )
        .where(Subscription.id > after_id, Conversation.blocked_at.is_(None))
        .order_by(Subscription.id)
        .limit(limit)
    )
    if slot is not None:
        query = query.where(Subscription.slot == slot)
    if commune is not None:
        query = query.where(Subscription.commune == commune)
    return (await db.execute(query)).scalars().all()


async def count_by_channel(db: AsyncSession, commune: str | None = None) -> dict[str, int]:
    query = select(Subscription.channel, func.count()).group_by(Subscription.channel)
    if commune is not None:
        query = query.where(Subscription.commune == commune)
    return {channel: int(n) for channel, n in (await db.execute(query)).all()}
