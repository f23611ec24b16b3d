"""Messages from others waiting for a web-chat page to collect them."""

from __future__ import annotations

from collections.abc import Collection
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
    """Return and remove every waiting reply for the page, oldest first.

    One DELETE ... RETURNING, so two pages (or a stream and a poll) collecting at the same
    moment never both get a reply: on PostgreSQL the second waits for the first's rows and
    then finds them gone.
    """
    rows = (
        await db.execute(
            delete(WebMailboxItem)
            .where(WebMailboxItem.web_chat_id == web_chat_id)
            .returning(WebMailboxItem.id, WebMailboxItem.reply)
        )
    ).all()
    return [reply for _id, reply in sorted(rows, key=lambda row: row[0])]


async def ids_with_mail(db: AsyncSession, web_chat_ids: Collection[str]) -> set[str]:
    """Which of these pages have something waiting (one query for every open stream)."""
    if not web_chat_ids:
        return set()
    found = await db.execute(
        select(WebMailboxItem.web_chat_id)
        .where(WebMailboxItem.web_chat_id.in_(list(web_chat_ids)))
        .distinct()
    )
    return set(found.scalars().all())


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
