"""What the organizer commands share: opening the database they report on."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from storage.db import (
    create_engine,
    create_session_maker,
    migrates_itself,
    require_current_schema,
    upgrade_schema,
)


class NoDatabase(Exception):
    """An organizer command found no database where the settings point."""


def describe(database_url: str) -> str:
    """The database for humans: the file, or the server and name (never the password)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {Path(url.database or '').resolve()}"
    return f"{url.get_backend_name()} {url.host}:{url.port or ''}/{url.database}"


def _must_exist(database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database or "")
    if not path.exists():
        raise NoDatabase(
            f"no database at {path.resolve()}: start the bot once (scripts/run), or set "
            "DATABASE_URL to the database to use"
        )


@asynccontextmanager
async def database(settings: Settings, *, create: bool = False) -> AsyncIterator[AsyncSession]:
    """A session on the configured database, schema brought up to date first.

    Says which database it uses, and refuses to create a new SQLite file unless `create`:
    a report run in the wrong folder must not answer "0 sign-ups" from an empty new file.
    """
    if not create:
        _must_exist(settings.database_url)
    print(f"database: {describe(settings.database_url)}", file=sys.stderr)
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        if migrates_itself(settings.database_url):
            await upgrade_schema(engine)
        else:
            await require_current_schema(engine)
        async with create_session_maker(engine)() as db:
            yield db
    finally:
        await engine.dispose()
