"""Secrets the bot makes for itself once and keeps in the database (shared by all workers)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AppSecret
from storage.sql import insert_ignoring_conflicts


async def get_or_create(db: AsyncSession, name: str, now: datetime) -> str:
    """The secret called `name`, generated on first use (safe when two processes race)."""
    await db.execute(
        insert_ignoring_conflicts(db, AppSecret).values(
            name=name, value=secrets.token_hex(32), created_at=now
        )
    )
    value = await db.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert value is not None
    return value
