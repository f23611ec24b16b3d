"""Platform updates persisted before they are acknowledged, and their stored replies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxStatus, InboxUpdate
from storage.sql import insert_ignoring_conflicts, rowcount


@dataclass(frozen=True)
class Received:
    """One update as a platform sent it."""

    update_id: str
    chat_id: str | None
    payload: dict[str, Any]


async def store(
    db: AsyncSession, channel: str, updates: Sequence[Received], now: datetime
) -> list[int | None]:
    """Persist updates; the row id of each, or None for one stored before (a re-delivery)."""
    ids: list[int | None] = []
    for received in updates:
        result = await db.execute(
            insert_ignoring_conflicts(db, InboxUpdate)
            .values(
                channel=channel,
                update_id=received.update_id,
                chat_id=received.chat_id,
                payload=received.payload,
                status=InboxStatus.RECEIVED,
                received_at=now,
            )
            .returning(InboxUpdate.id)
        )
        new_id = result.scalar_one_or_none()
        ids.append(None if new_id is None else int(new_id))
    return ids


async def unfinished(db: AsyncSession, channel: str) -> Sequence[InboxUpdate]:
    """Updates stored and not finished (received, or answered and not confirmed sent)."""
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.channel == channel, InboxUpdate.status != InboxStatus.DONE)
        .order_by(InboxUpdate.id)
    )
    return (await db.execute(query)).scalars().all()


async def load(db: AsyncSession, inbox_id: int) -> InboxUpdate | None:
    return await db.get(InboxUpdate, inbox_id)


async def mark_answered(db: AsyncSession, inbox_id: int, replies: list[dict[str, Any]]) -> None:
    """Store the replies with the handler's work (same transaction): a crash before they
    are sent leaves them to be sent after the restart."""
    await db.execute(
        update(InboxUpdate)
        .where(InboxUpdate.id == inbox_id)
        .values(status=InboxStatus.ANSWERED, replies=replies)
    )


async def mark_done(db: AsyncSession, inbox_ids: Sequence[int], now: datetime) -> None:
    """The replies went out (or there were none). What identifies the person (chat,
    message, replies) is dropped at once; the update id stays for dedupe until retention."""
    await db.execute(
        update(InboxUpdate)
        .where(InboxUpdate.id.in_(list(inbox_ids)))
        .values(status=InboxStatus.DONE, done_at=now, chat_id=None, payload={}, replies=None)
    )


async def counts(db: AsyncSession) -> dict[str, int]:
    """Rows per status, for health and reports."""
    rows = await db.execute(select(InboxUpdate.status, func.count()).group_by(InboxUpdate.status))
    return {str(status): int(n) for status, n in rows.all()}


async def delete_done_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: the keys of finished updates are needed only while platforms retry."""
    result = await db.execute(
        delete(InboxUpdate).where(
            InboxUpdate.status == InboxStatus.DONE, InboxUpdate.done_at < cutoff
        )
    )
    return rowcount(result)


async def earlier_unfinished(
    db: AsyncSession, channel: str, chat_id: str, inbox_id: int
) -> list[int]:
    """Ids of this chat's updates that arrived before `inbox_id` and are not finished: not
    handled yet, or handled with their replies still being sent."""
    found = await db.scalars(
        select(InboxUpdate.id)
        .where(
            InboxUpdate.channel == channel,
            InboxUpdate.chat_id == chat_id,
            InboxUpdate.id < inbox_id,
            InboxUpdate.status != InboxStatus.DONE,
        )
        .order_by(InboxUpdate.id)
        .limit(100)
    )
    return list(found)
