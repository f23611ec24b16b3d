"""How many questions the FAQ answered, suggested for, or fell back on, per Vietnam day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import QuestionCount


async def add(db: AsyncSession, day: date, action: str, questions: int = 1) -> None:
    """Add `questions` with this outcome to the day's count (one upsert statement)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(QuestionCount).values(
        day=day.isoformat(), action=action, count=questions
    )
    await db.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "action"], set_={"count": QuestionCount.count + questions}
        )
    )


async def per_day(db: AsyncSession, first: date, last: date) -> dict[str, dict[str, int]]:
    """{"2026-10-03": {"answer": 12, "fallback": 2, ...}} for days in [first, last]."""
    rows = await db.execute(
        select(QuestionCount.day, QuestionCount.action, QuestionCount.count).where(
            QuestionCount.day >= first.isoformat(), QuestionCount.day <= last.isoformat()
        )
    )
    days: dict[str, dict[str, int]] = defaultdict(dict)
    for day, action, n in rows.all():
        days[day][action] = int(n)
    return dict(days)
