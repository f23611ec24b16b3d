"""Zalo rows shared by every worker: the OA token pair and the Zalo Bot's monthly send counts.

Both are written with conditional UPDATEs whose row count tells who won, so concurrent
processes never both spend the single-use refresh token, nor both take the last message
of the month (PostgreSQL re-checks the WHERE clause on a row another transaction just
updated; SQLite has one writer at a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ZaloOaToken, ZaloSendCount
from storage.sql import insert_ignoring_conflicts, rowcount


@dataclass(frozen=True)
class TokenRecord:
    """The stored pair and, while a process refreshes it, that process's lease."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    lease_id: str | None = None
    lease_until: datetime | None = None


async def load_tokens(db: AsyncSession, app_id: str) -> TokenRecord | None:
    row = await db.get(ZaloOaToken, app_id, populate_existing=True)
    if row is None:
        return None
    return TokenRecord(
        row.access_token,
        row.refresh_token,
        row.access_expires_at,
        row.refresh_expires_at,
        row.lease_id,
        row.lease_until,
    )


async def save_tokens(db: AsyncSession, app_id: str, record: TokenRecord, now: datetime) -> None:
    """Store a pair unconditionally (an organizer's first or new pair); any lease is dropped."""
    values = _values(record, now)
    await db.execute(insert_ignoring_conflicts(db, ZaloOaToken).values(app_id=app_id, **values))
    await db.execute(update(ZaloOaToken).where(ZaloOaToken.app_id == app_id).values(**values))


async def swap_tokens(
    db: AsyncSession, app_id: str, expected: TokenRecord, new: TokenRecord, now: datetime
) -> bool:
    """Write `new` only if the row still holds `expected`'s refresh token and lease id."""
    same_lease = (
        ZaloOaToken.lease_id.is_(None)
        if expected.lease_id is None
        else ZaloOaToken.lease_id == expected.lease_id
    )
    result = await db.execute(
        update(ZaloOaToken)
        .where(
            ZaloOaToken.app_id == app_id,
            ZaloOaToken.refresh_token == expected.refresh_token,
            same_lease,
        )
        .values(**_values(new, now))
    )
    return rowcount(result) == 1


def _values(record: TokenRecord, now: datetime) -> dict[str, object]:
    return {
        "access_token": record.access_token,
        "refresh_token": record.refresh_token,
        "access_expires_at": record.access_expires_at,
        "refresh_expires_at": record.refresh_expires_at,
        "lease_id": record.lease_id,
        "lease_until": record.lease_until,
        "updated_at": now,
    }


async def reserve_sends(
    db: AsyncSession, counter: str, month: str, messages: int, ceiling: int
) -> int | None:
    """Count `messages` more if that stays within `ceiling`; the new total, or None."""
    await db.execute(
        insert_ignoring_conflicts(db, ZaloSendCount).values(counter=counter, month=month, used=0)
    )
    result = await db.execute(
        update(ZaloSendCount)
        .where(
            ZaloSendCount.counter == counter,
            ZaloSendCount.month == month,
            ZaloSendCount.used + messages <= ceiling,
        )
        .values(used=ZaloSendCount.used + messages)
        .returning(ZaloSendCount.used)
    )
    used = result.scalar_one_or_none()
    return None if used is None else int(used)


async def give_back_sends(db: AsyncSession, counter: str, month: str, messages: int) -> None:
    """Uncount messages reserved and refused by the platform (they were not sent)."""
    await db.execute(
        update(ZaloSendCount)
        .where(
            ZaloSendCount.counter == counter,
            ZaloSendCount.month == month,
            ZaloSendCount.used >= messages,
        )
        .values(used=ZaloSendCount.used - messages)
    )


async def use_up_sends(db: AsyncSession, counter: str, month: str, limit: int) -> None:
    """The platform says the month's quota is gone: count it as used up."""
    await db.execute(
        update(ZaloSendCount)
        .where(
            ZaloSendCount.counter == counter,
            ZaloSendCount.month == month,
            ZaloSendCount.used < limit,
        )
        .values(used=limit)
    )


async def claim_warning(
    db: AsyncSession, counter: str, month: str, threshold: int, now: datetime
) -> bool:
    """True for the one caller that first sees `threshold` reached this month."""
    result = await db.execute(
        update(ZaloSendCount)
        .where(
            ZaloSendCount.counter == counter,
            ZaloSendCount.month == month,
            ZaloSendCount.used >= threshold,
            ZaloSendCount.warned_at.is_(None),
        )
        .values(warned_at=now)
    )
    return rowcount(result) == 1


async def sends_used(db: AsyncSession, counter: str, month: str) -> int:
    used = await db.scalar(
        select(ZaloSendCount.used).where(
            ZaloSendCount.counter == counter, ZaloSendCount.month == month
        )
    )
    return int(used or 0)


async def delete_counts_before(db: AsyncSession, month: str) -> int:
    """Retention: the counts of months before `month` ("2025-09")."""
    result = await db.execute(delete(ZaloSendCount).where(ZaloSendCount.month < month))
    return rowcount(result)
