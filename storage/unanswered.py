"""Questions the FAQ could not answer confidently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UnansweredQuestion
from storage.sql import rowcount

MAX_STORED_CHARS = 1000


async def record(
    db: AsyncSession,
    *,
    channel: str,
    text: str,
    best_faq_id: str | None,
    best_score: float,
    action: str,
    now: datetime,
    person_key: str | None = None,
) -> None:
    """Store a question that got a suggestion list or a fallback."""
    db.add(
        UnansweredQuestion(
            channel=channel,
            text=text[:MAX_STORED_CHARS],
            best_faq_id=best_faq_id,
            best_score=best_score,
            action=action,
            created_at=now,
            person_key=person_key,
        )
    )


async def list_since(
    session: AsyncSession, since: datetime | None = None
) -> Sequence[UnansweredQuestion]:
    """All stored questions (optionally since a time), oldest first."""
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.id)
    if since is not None:
        query = query.where(UnansweredQuestion.created_at >= since)
    return (await session.execute(query)).scalars().all()


async def delete_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: questions older than `cutoff`."""
    result = await db.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff)
    )
    return rowcount(result)


async def count_for(db: AsyncSession, person_key: str) -> int:
    """How many stored questions came from this person (for "my data")."""
    rows = await db.execute(
        select(UnansweredQuestion.id).where(UnansweredQuestion.person_key == person_key)
    )
    return len(rows.all())


async def delete_for(db: AsyncSession, person_key: str) -> int:
    """For "delete my data": this person's stored questions."""
    result = await db.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.person_key == person_key)
    )
    return rowcount(result)
