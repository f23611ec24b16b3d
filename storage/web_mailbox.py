"""Replies waiting for a web-chat page to fetch them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebMailboxItem


async def put(session: AsyncSession, session_id: str, reply: dict[str, Any], now: datetime) -> None:
    """Leave a reply for the page of `session_id`."""
    session.add(WebMailboxItem(session_id=session_id, reply=reply, created_at=now))


async def take_all(session: AsyncSession, session_id: str) -> list[dict[str, Any]]:
    """Return and remove every waiting reply for the page, oldest first."""
    rows = (
        (
            await session.execute(
                select(WebMailboxItem)
                .where(WebMailboxItem.session_id == session_id)
                .order_by(WebMailboxItem.id)
            )
        )
        .scalars()
        .all()
    )
    if rows:
        await session.execute(
            delete(WebMailboxItem).where(WebMailboxItem.id.in_([row.id for row in rows]))
        )
    return [row.reply for row in rows]
