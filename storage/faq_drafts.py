"""FAQ drafts: a volunteer's answer saved from a ticket, waiting for an organizer's review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FaqDraft, FaqDraftStatus
from storage.sql import insert_ignoring_conflicts, rowcount


async def save(
    db: AsyncSession, ticket_id: int, question: str, answer: str, now: datetime
) -> FaqDraft | None:
    """One draft per ticket: the new draft, or None when the ticket has one already."""
    result = await db.execute(
        insert_ignoring_conflicts(db, FaqDraft).values(
            ticket_id=ticket_id,
            question=question,
            answer=answer,
            status=FaqDraftStatus.PENDING,
            created_at=now,
        )
    )
    if not rowcount(result):
        return None
    return await for_ticket(db, ticket_id)


async def for_ticket(db: AsyncSession, ticket_id: int) -> FaqDraft | None:
    return (
        (await db.execute(select(FaqDraft).where(FaqDraft.ticket_id == ticket_id)))
        .scalars()
        .first()
    )


async def get(db: AsyncSession, draft_id: int) -> FaqDraft | None:
    return await db.get(FaqDraft, draft_id)


async def listing(db: AsyncSession, status: FaqDraftStatus | None = None) -> list[FaqDraft]:
    """Drafts, oldest first (of one status when given)."""
    query = select(FaqDraft).order_by(FaqDraft.id)
    if status is not None:
        query = query.where(FaqDraft.status == status)
    return list((await db.execute(query)).scalars().all())


async def decide(
    db: AsyncSession,
    draft_id: int,
    status: FaqDraftStatus,
    now: datetime,
    *,
    faq_id: str | None = None,
    topic: str | None = None,
) -> bool:
    """Approve or reject a pending draft; False when it was decided already."""
    result = await db.execute(
        update(FaqDraft)
        .where(FaqDraft.id == draft_id, FaqDraft.status == FaqDraftStatus.PENDING)
        .values(status=status, decided_at=now, faq_id=faq_id, topic=topic)
    )
    return rowcount(result) == 1


async def forget_tickets(
    db: AsyncSession, ticket_ids: Sequence[int], *, drop_pending: bool
) -> None:
    """The tickets are going: unlink their drafts; `drop_pending` also deletes those not
    approved ("delete my data": the question is the person's words, even masked)."""
    ids = list(ticket_ids)
    if drop_pending:
        await db.execute(
            delete(FaqDraft).where(
                FaqDraft.ticket_id.in_(ids), FaqDraft.status != FaqDraftStatus.APPROVED
            )
        )
    await db.execute(update(FaqDraft).where(FaqDraft.ticket_id.in_(ids)).values(ticket_id=None))


async def delete_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: drafts saved before `cutoff`, whatever became of them."""
    result = await db.execute(delete(FaqDraft).where(FaqDraft.created_at < cutoff))
    return rowcount(result)
