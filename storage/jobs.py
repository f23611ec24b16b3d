"""Claiming a periodic job's period: of several workers, one runs it each period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun
from storage.sql import insert_ignoring_conflicts, rowcount


async def claim_period(
    db: AsyncSession, name: str, owner: str, now: datetime, every: timedelta
) -> bool:
    """True for the one caller that may run `name` now: the first ever, or the first after
    the period since the last run has (almost) passed."""
    inserted = await db.execute(
        insert_ignoring_conflicts(db, JobRun).values(name=name, last_run_at=now, owner=owner)
    )
    if rowcount(inserted):
        return True
    # A little slack: workers' timers drift, and a period must not be skipped for it.
    due = now - every * 0.9
    claimed = await db.execute(
        update(JobRun)
        .where(JobRun.name == name, JobRun.last_run_at <= due)
        .values(last_run_at=now, owner=owner)
    )
    return rowcount(claimed) == 1
