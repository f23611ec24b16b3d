"""Progress of queuing one campaign day's reminders for one slot (restart-safe)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReminderRun
from storage.sql import insert_ignoring_conflicts


async def start(db: AsyncSession, run_key: str, now: datetime) -> ReminderRun:
    """The run's row, created on first use (two schedulers may race: one row either way).

    Locked until the transaction ends, so two processes queue batches one after the other.
    """
    await db.execute(
        insert_ignoring_conflicts(db, ReminderRun).values(
            run_key=run_key, position=0, queued=0, started_at=now
        )
    )
    query = (
        select(ReminderRun)
        .where(ReminderRun.run_key == run_key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one()
