"""The application context: built once in the entry point and passed down."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.features import Feature
from bot.shared_budget import Budgets
from faq.kb import load_knowledge_base
from faq.kb_model import KnowledgeBase
from faq.matcher import Matcher
from storage import app_secrets
from storage.db import create_engine, create_session_maker


@dataclass
class AppContext:
    """Everything a handler or background task needs; no module-level globals."""

    settings: Settings
    engine: AsyncEngine
    # A database session (read-only use, or explicit commits): `async with app.open_db() as db`.
    open_db: async_sessionmaker[AsyncSession]
    clock: Clock
    knowledge: KnowledgeBase
    matcher: Matcher
    channels: dict[str, Channel] = field(default_factory=dict)
    # The features this deployment runs, and the names of those it offers (bot/features.py).
    features: Sequence[Feature] = ()
    available_features: frozenset[str] = frozenset()
    # Rate limits shared by every worker when Redis is configured (bot/shared_budget.py).
    budgets: Budgets = field(default_factory=Budgets)
    # Key of `bot.privacy.person_key`, generated once and kept in the database (`load_secrets`).
    privacy_key: bytes = b""
    # True once every channel, the web server and the jobs run; False again at a stop
    # (/readyz: a load balancer sends nothing to a worker that is starting or stopping).
    ready: bool = False
    # Set after a transaction queued outbox messages, so the sender wakes up at once.
    outbox_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Feature jobs by name, set to run one early (`wake`); the runtime waits on them.
    job_wakeups: dict[str, asyncio.Event] = field(default_factory=dict)
    # What a feature keeps in memory for the life of the process, by a key of its own (e.g.
    # counts written every few seconds instead of by every turn).
    feature_state: dict[str, Any] = field(default_factory=dict)
    # SQLite allows one writer: queueing here is much cheaper than SQLite's busy-wait sleeps.
    _sqlite_gate: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self._sqlite_gate = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed on success, rolled back on error."""
        gate = self._sqlite_gate or contextlib.nullcontext()
        async with gate, self.open_db() as db, db.begin():
            yield db

    async def load_secrets(self) -> None:
        """Read (or create, on first start) the secrets the bot keeps in its database."""
        async with self.transaction() as db:
            self.privacy_key = bytes.fromhex(
                await app_secrets.get_or_create(db, "person-key", self.clock.now())
            )

    def wake(self, job: str) -> None:
        """Run the background job named `job` now instead of at its next period."""
        self.job_wakeups.setdefault(job, asyncio.Event()).set()

    def is_admin(self, channel: str, user_id: str) -> bool:
        """Organizer powers come only from ids configured for that channel."""
        return (channel, user_id) in self.settings.admins()

    async def close(self) -> None:
        await self.budgets.close()
        await self.engine.dispose()


@dataclass(frozen=True)
class Knowledge:
    """The loaded knowledge base and its matcher index (read-only, so it can be shared)."""

    base: KnowledgeBase
    matcher: Matcher


def load_knowledge(settings: Settings) -> Knowledge:
    """Load the YAML files and build the matcher index (about 0.2 s)."""
    base = load_knowledge_base(settings.faq_data_dir)
    return Knowledge(base, Matcher(base))


def build_app_context(
    settings: Settings, clock: Clock | None = None, knowledge: Knowledge | None = None
) -> AppContext:
    """Create the engine and, unless one is given, load the knowledge base."""
    engine = create_engine(
        settings.database_url,
        settings.database_schema,
        settings.database_pool_size,
        settings.database_max_overflow,
    )
    knowledge = knowledge or load_knowledge(settings)
    return AppContext(
        settings=settings,
        engine=engine,
        open_db=create_session_maker(engine),
        budgets=Budgets.from_url(settings.redis_url, settings.redis_key_prefix),
        clock=clock or SystemClock(),
        knowledge=knowledge.base,
        matcher=knowledge.matcher,
    )
