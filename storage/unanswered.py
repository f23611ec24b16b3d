"""Questions the FAQ could not answer confidently."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UnansweredQuestion

MAX_STORED_CHARS = 1000


async def record(
    session: AsyncSession,
    *,
    channel: str,
    text: str,
    best_faq_id: str | None,
    best_score: float,
    action: str,
    now: datetime,
) -> None:
    """Store a question that got a suggestion list or a fallback."""
    session.add(
        UnansweredQuestion(
            channel=channel,
            text=text[:MAX_STORED_CHARS],
            best_faq_id=best_faq_id,
            best_score=best_score,
            action=action,
            created_at=now,
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
