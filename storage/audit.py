"""The dashboard's audit log: who did what, when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry
from storage.sql import rowcount


async def record(
    db: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry (inside the caller's transaction, so it is kept only if the change is)."""
    db.add(AuditEntry(at=now, actor=actor, action=action, target=target, details=details or {}))


async def recent(
    db: AsyncSession, limit: int = 200, action: str | None = None
) -> Sequence[AuditEntry]:
    """The newest entries first (of one action when given)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return (await db.execute(query)).scalars().all()


async def delete_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: entries older than `cutoff`."""
    return rowcount(await db.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)))
