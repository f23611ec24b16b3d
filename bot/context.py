"""The application context: built once in the entry point and passed down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from faq.kb import KnowledgeBase, load_knowledge_base
from faq.matcher import Matcher
from storage.db import create_engine, create_session_maker


@dataclass
class AppContext:
    """Everything a handler or background task needs; no module-level globals."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    knowledge: KnowledgeBase
    matcher: Matcher
    channels: dict[str, Channel] = field(default_factory=dict)
    # Set after a transaction queued outbox messages, so the sender wakes up at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # SQLite allows one writer: queueing here is much cheaper than SQLite's busy-wait sleeps.
    _sqlite_gate: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self._sqlite_gate = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success, rolled back on error."""
        gate = self._sqlite_gate or contextlib.nullcontext()
        async with gate, self.sessions() as db, db.begin():
            yield db

    def is_admin(self, user_id: str) -> bool:
        """Organizer powers come only from configured ids."""
        return user_id in self.settings.admin_id_set()

    async def close(self) -> None:
        await self.engine.dispose()


def build_app_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    """Create the engine, load the knowledge base and build the matcher."""
    engine = create_engine(settings.database_url, settings.database_schema)
    knowledge = load_knowledge_base(settings.faq_data_dir)
    return AppContext(
        settings=settings,
        engine=engine,
        sessions=create_session_maker(engine),
        clock=clock or SystemClock(),
        knowledge=knowledge,
        matcher=Matcher(knowledge),
    )
