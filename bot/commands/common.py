"""What the organizer commands share: opening the database they report on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.db import create_engine, create_session_maker, upgrade_schema


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A session on the configured database, schema brought up to date first."""
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        await upgrade_schema(engine)
        async with create_session_maker(engine)() as db:
            yield db
    finally:
        await engine.dispose()
