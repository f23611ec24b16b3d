"""At-most-once handling of platform updates."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.sql import insert_ignoring_conflicts, rowcount

MAX_KEY_CHARS = 128


def storable_key(update_id: str) -> str:
    """The key as stored: long keys (a web chat id plus a client's message id) are hashed
    so they always fit the column."""
    if len(update_id) <= MAX_KEY_CHARS:
        return update_id
    return "sha256:" + hashlib.sha256(update_id.encode("utf-8", "surrogatepass")).hexdigest()


async def claim_update(
    db: AsyncSession, channel: str, update_id: str, now: datetime, chat_id: str | None = None
) -> bool:
    """Record the update id; False when it was already taken (a re-delivery)."""
    result = await db.execute(
        insert_ignoring_conflicts(db, ProcessedUpdate).values(
            channel=channel, update_id=storable_key(update_id), processed_at=now, chat_id=chat_id
        )
    )
    return bool(rowcount(result))


async def forget_updates_before(db: AsyncSession, cutoff: datetime) -> int:
    """Drop old update ids; platforms stop retrying long before the cutoff."""
    result = await db.execute(delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff))
    return rowcount(result)


async def forget_chat(db: AsyncSession, channel: str, chat_id: str) -> int:
    """For "delete my data": keys of this chat's updates (some embed the chat id)."""
    result = await db.execute(
        delete(ProcessedUpdate).where(
            ProcessedUpdate.channel == channel, ProcessedUpdate.chat_id == chat_id
        )
    )
    return rowcount(result)
