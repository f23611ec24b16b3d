"""Conversation state rows keyed by (channel, chat_id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation
from storage.sql import insert_ignoring_conflicts, rowcount


async def load_conversation(
    session: AsyncSession, channel: str, chat_id: str, now: datetime
) -> Conversation:
    """The conversation row, created on first contact (safe under races), and locked until
    the transaction ends.

    The lock is what keeps one conversation's updates one at a time across worker processes
    (PostgreSQL: SELECT ... FOR UPDATE, no extra round trip; SQLite has one writer at a time
    and one process). A second worker's turn of the same chat waits here for the first.
    """
    found = await find_conversation(session, channel, chat_id, lock=True)
    if found is not None:
        return found
    await session.execute(
        insert_ignoring_conflicts(session, Conversation).values(
            channel=channel, chat_id=chat_id, data={}, created_at=now, updated_at=now
        )
    )
    found = await find_conversation(session, channel, chat_id, lock=True)
    assert found is not None
    return found


async def find_conversation(
    session: AsyncSession, channel: str, chat_id: str, *, lock: bool = False
) -> Conversation | None:
    """The conversation row, or None: nothing is created."""
    query = select(Conversation).where(
        Conversation.channel == channel, Conversation.chat_id == chat_id
    )
    if lock:
        # Another turn may have changed it while we waited: read it as it is now.
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


@dataclass(frozen=True)
class Contact:
    """When the person last wrote (the last turn), and whether they blocked or left."""

    last_turn_at: datetime
    blocked_at: datetime | None


async def contact_of(session: AsyncSession, channel: str, chat_id: str) -> Contact | None:
    """The person's last turn and block, or None when they never wrote (or were erased)."""
    row = (
        await session.execute(
            select(Conversation.updated_at, Conversation.blocked_at).where(
                Conversation.channel == channel, Conversation.chat_id == chat_id
            )
        )
    ).one_or_none()
    return None if row is None else Contact(row.updated_at, row.blocked_at)


async def conversation_exists(db: AsyncSession, channel: str, chat_id: str) -> bool:
    """Whether this chat has a stored conversation (a web chat id this server issued)."""
    found = await db.scalar(
        select(Conversation.id).where(
            Conversation.channel == channel, Conversation.chat_id == chat_id
        )
    )
    return found is not None


async def mark_blocked(
    session: AsyncSession, channel: str, chat_id: str, when: datetime | None
) -> None:
    """Record (or clear, with None) that the person blocked the bot on that channel."""
    await session.execute(
        update(Conversation)
        .where(Conversation.channel == channel, Conversation.chat_id == chat_id)
        .values(blocked_at=when)
    )


async def is_blocked(session: AsyncSession, channel: str, chat_id: str) -> bool:
    """Whether the platform told us this person blocked the bot."""
    blocked_at = (
        await session.execute(
            select(Conversation.blocked_at).where(
                Conversation.channel == channel, Conversation.chat_id == chat_id
            )
        )
    ).scalar_one_or_none()
    return blocked_at is not None


async def count_chats(session: AsyncSession, channel: str) -> int:
    """How many people have a conversation on this channel (retention forgets idle ones)."""
    count = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.channel == channel)
    )
    return int(count or 0)


async def conversation_data(session: AsyncSession, channel: str, chat_id: str) -> dict[str, Any]:
    """The stored data of a conversation, without creating it ({} when there is none)."""
    data = (
        await session.execute(
            select(Conversation.data).where(
                Conversation.channel == channel, Conversation.chat_id == chat_id
            )
        )
    ).scalar_one_or_none()
    return dict(data or {})


async def clear_idle_flow(db: AsyncSession, flow: str, cutoff: datetime) -> int:
    """Reset conversations left in `flow` since before `cutoff`; returns how many."""
    result = await db.execute(
        update(Conversation)
        .where(Conversation.flow == flow, Conversation.updated_at < cutoff)
        .values(flow=None, step=None, data={})
    )
    return rowcount(result)


async def delete_idle_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: conversations outside any flow, untouched since before `cutoff`."""
    result = await db.execute(
        delete(Conversation).where(Conversation.flow.is_(None), Conversation.updated_at < cutoff)
    )
    return rowcount(result)


async def delete_conversation(db: AsyncSession, channel: str, chat_id: str) -> int:
    """For "delete my data": the conversation row (made again on the next message)."""
    result = await db.execute(
        delete(Conversation).where(Conversation.channel == channel, Conversation.chat_id == chat_id)
    )
    return rowcount(result)


async def leave_flow(db: AsyncSession, channel: str, chat_id: str, flow: str) -> int:
    """Take one chat out of `flow` if it is in it (a volunteer closed the conversation)."""
    result = await db.execute(
        update(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.chat_id == chat_id,
            Conversation.flow == flow,
        )
        .values(flow=None, step=None, data={})
    )
    return rowcount(result)
