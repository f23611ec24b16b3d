"""Questions the FAQ could not answer confidently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
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


async def link_to_ticket(
    db: AsyncSession, person_key: str, since: datetime, until: datetime, ticket_id: int
) -> int:
    """Mark the person's questions asked in [since, until] as answered by a ticket."""
    result = await db.execute(
        update(UnansweredQuestion)
        .where(
            UnansweredQuestion.person_key == person_key,
            UnansweredQuestion.created_at >= since,
            UnansweredQuestion.created_at <= until,
            UnansweredQuestion.ticket_id.is_(None),
        )
        .values(ticket_id=ticket_id)
    )
    return rowcount(result)


async def recent_for(
    db: AsyncSession, person_key: str, since: datetime, limit: int
) -> list[UnansweredQuestion]:
    """The person's latest questions since a time, oldest first (at most `limit`)."""
    rows = await db.execute(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.person_key == person_key, UnansweredQuestion.created_at >= since)
        .order_by(UnansweredQuestion.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.scalars().all()))


async def unlink_tickets(db: AsyncSession, ticket_ids: Sequence[int]) -> None:
    """The tickets are deleted: their questions stay, without the link."""
    await db.execute(
        update(UnansweredQuestion)
        .where(UnansweredQuestion.ticket_id.in_(list(ticket_ids)))
        .values(ticket_id=None)
    )
