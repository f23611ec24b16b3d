"""At-most-once handling of platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate
from storage.sql import insert_ignoring_conflicts


async def claim_update(session: AsyncSession, channel: str, update_id: str, now: datetime) -> bool:
    """Record the update id; False when it was already taken (a re-delivery)."""
    result = await session.execute(
        insert_ignoring_conflicts(session, ProcessedUpdate).values(
            channel=channel, update_id=update_id, processed_at=now
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_updates_before(session: AsyncSession, cutoff: datetime) -> int:
    """Drop old update ids; platforms stop retrying long before the cutoff."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
