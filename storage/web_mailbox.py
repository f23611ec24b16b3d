"""Messages from others waiting for a web-chat page to collect them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import WebMailboxItem
from storage.sql import rowcount


async def put(db: AsyncSession, web_chat_id: str, reply: dict[str, Any], now: datetime) -> None:
    """Leave a reply for the page of `web_chat_id`."""
    db.add(WebMailboxItem(web_chat_id=web_chat_id, reply=reply, created_at=now))


async def take_all(db: AsyncSession, web_chat_id: str) -> list[dict[str, Any]]:
    """Return and remove every waiting reply for the page, oldest first."""
    rows = (
        (
            await db.execute(
                select(WebMailboxItem)
                .where(WebMailboxItem.web_chat_id == web_chat_id)
                .order_by(WebMailboxItem.id)
            )
        )
        .scalars()
        .all()
    )
    if rows:
        await db.execute(
            delete(WebMailboxItem).where(WebMailboxItem.id.in_([row.id for row in rows]))
        )
    return [row.reply for row in rows]


async def delete_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: replies a page never collected (the person left the page for good)."""
    result = await db.execute(delete(WebMailboxItem).where(WebMailboxItem.created_at < cutoff))
    return rowcount(result)


async def delete_for(db: AsyncSession, web_chat_id: str) -> int:
    """For "delete my data": everything waiting for this page."""
    result = await db.execute(
        delete(WebMailboxItem).where(WebMailboxItem.web_chat_id == web_chat_id)
    )
    return rowcount(result)
