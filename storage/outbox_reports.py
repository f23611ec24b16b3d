"""Delivery reports on the outbox: counts by status, messages left in doubt by a crash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class StatusReport:
    """Counts for organizers: by status, and messages ever in doubt (resent or not)."""

    by_status: dict[str, int]
    in_doubt_resent: int
    in_doubt_not_resent: int
    oldest_pending_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "by_status": self.by_status,
            "in_doubt": {
                "resent": self.in_doubt_resent,
                "not_resent": self.in_doubt_not_resent,
            },
            "oldest_pending_at": self.oldest_pending_at.isoformat()
            if self.oldest_pending_at
            else None,
        }


async def status_report(db: AsyncSession, *conditions: Any) -> StatusReport:
    """How many messages are in each status, and how many were ever in doubt."""
    counts = await db.execute(
        select(OutboxMessage.status, func.count()).where(*conditions).group_by(OutboxMessage.status)
    )
    by_status = {str(status): int(count) for status, count in counts.all()}
    doubted = await db.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.in_doubt_at.is_not(None), *conditions)
        .group_by(OutboxMessage.status)
    )
    split = {str(status): int(count) for status, count in doubted.all()}
    not_resent = split.pop(OutboxStatus.IN_DOUBT, 0)
    oldest = await db.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status == OutboxStatus.PENDING, *conditions
        )
    )
    return StatusReport(by_status, sum(split.values()), not_resent, oldest)


async def in_doubt_rows(db: AsyncSession, limit: int = 50) -> Sequence[OutboxMessage]:
    """The most recent messages that were on the wire at a crash (for organizers)."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.in_doubt_at.is_not(None))
        .order_by(OutboxMessage.in_doubt_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    )
    return (await db.execute(query)).scalars().all()
