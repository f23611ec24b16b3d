"""Engine and session factory for SQLite (default) or PostgreSQL, and schema upgrades."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_engine(
    database_url: str, schema: str | None = None, pool_size: int = 5, max_overflow: int = 10
) -> AsyncEngine:
    """Create the async engine; on SQLite also make the folder and turn on WAL.

    `schema` (PostgreSQL only) puts the tables in that schema, so several deployments or
    test runs can share one database. Statement parameters (names, phone numbers) never
    appear in error messages, hence in logs: `hide_parameters`. On PostgreSQL a process
    holds up to `pool_size + max_overflow` connections.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        connect_args = {"server_settings": {"search_path": schema}} if schema else {}
        return create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            connect_args=connect_args,
            hide_parameters=True,
        )
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # Every transaction ends in an explicit commit or rollback (AppContext.transaction, or a
    # session's close), so the pool's own rollback on return is one thread hop for nothing.
    engine = create_async_engine(
        url, connect_args={"timeout": 30}, hide_parameters=True, pool_reset_on_return=None
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE so writers queue instead of failing.

    pysqlite's own transaction handling starts transactions lazily and would let two
    writers both read and then fail on upgrade; see
    https://docs.sqlalchemy.org/en/20/dialects/sqlite.html#serializable-isolation-savepoints-transactional-ddl
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Session factory; objects stay usable after commit (no lazy loads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade_schema(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema up to date with the Alembic migrations."""

    def _upgrade(connection: Connection) -> None:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None for an empty database."""

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)


@functools.cache
def head_revision() -> str:
    """The revision this version of the code needs (read from the migration files once:
    /readyz asks on every probe)."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


class SchemaOutOfDate(Exception):
    """The database is not at the revision this code needs, and this process must not
    migrate it (other workers may be using it)."""


async def require_current_schema(engine: AsyncEngine) -> None:
    """Raise SchemaOutOfDate with what to do, unless the schema is at head."""
    found, needed = await current_revision(engine), head_revision()
    if found != needed:
        raise SchemaOutOfDate(
            f"the database schema is at revision {found or 'none (empty database)'} and this "
            f"version needs {needed}: run `python -m bot db upgrade` once (a deploy step), "
            "then start the workers"
        )


def migrates_itself(database_url: str) -> bool:
    """SQLite is one process's own database: it may upgrade its schema at start-up. A
    server database may be shared by workers: only `db upgrade` changes its schema."""
    return make_url(database_url).get_backend_name() == "sqlite"
