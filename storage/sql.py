"""Small dialect helpers shared by the query modules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_ignoring_conflicts(session: AsyncSession, table: Any) -> Any:
    """An INSERT that silently skips rows violating a unique key, on SQLite or PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def supports_skip_locked(session: AsyncSession) -> bool:
    """Whether SELECT ... FOR UPDATE SKIP LOCKED is available (PostgreSQL, not SQLite)."""
    return session.get_bind().dialect.name == "postgresql"


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE/DELETE/INSERT result (typed as the generic Result)."""
    return int(result.rowcount)
