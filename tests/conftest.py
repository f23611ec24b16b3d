"""Shared fixtures: settings on SQLite and (when reachable) PostgreSQL, app, dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import WebChatChannel
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge, load_knowledge
from bot.dispatcher import Dispatcher
from bot.runtime import prepare
from bot.webserver import build_web_app
from tests import processes
from tests.redis_support import REDIS_URL, redis_reachable
from tests.support import Chat, FakeChannel

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
START = datetime(2026, 9, 28, 2, 0, tzinfo=UTC)


def _asyncpg_dsn() -> str:
    return POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)


@cache
def postgres_unavailable() -> str | None:
    """None when PostgreSQL answers; otherwise why not (checked once per run)."""
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(), timeout=3)
        await connection.close()

    try:
        # A worker thread: this may be first called from inside the test's event loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, probe()).result()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def pytest_report_header() -> list[str]:
    reason = postgres_unavailable()
    if reason is None:
        postgres = (
            f"PostgreSQL: reachable ({POSTGRES_URL}); storage tests run on SQLite and PostgreSQL"
        )
    else:
        postgres = f"PostgreSQL: NOT reachable ({reason}); PostgreSQL variants will be SKIPPED"
    with ThreadPoolExecutor(max_workers=1) as pool:
        redis = pool.submit(asyncio.run, redis_reachable()).result()
    shared = "reachable" if redis else "NOT reachable; shared-budget tests will be SKIPPED"
    return [postgres, f"Redis ({REDIS_URL}): {shared}"]


async def _pg_execute(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn())
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def settings(request: pytest.FixtureRequest, tmp_path: object) -> AsyncIterator[Settings]:
    """Settings for a fresh, empty database of each kind."""
    base: dict[str, object] = {"_env_file": None, "web_port": 0, "admin_ids": "900001"}
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db", **base)  # type: ignore[arg-type]
        return
    async with _postgres(base) as postgres:
        yield postgres


@pytest.fixture
async def postgres_settings() -> AsyncIterator[Settings]:
    """Settings for a fresh, empty PostgreSQL schema (tests of several worker processes)."""
    async with _postgres({"_env_file": None, "web_port": 0, "admin_ids": "900001"}) as postgres:
        yield postgres


@contextlib.asynccontextmanager
async def _postgres(base: dict[str, object]) -> AsyncIterator[Settings]:
    reason = postgres_unavailable()
    if reason is not None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {reason}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield Settings(database_url=POSTGRES_URL, database_schema=schema, **base)  # type: ignore[arg-type]
    finally:
        await _pg_execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(autouse=True)
def _no_bot_left_running() -> Iterator[None]:
    """A test that fails half-way must not leave a bot process holding connections."""
    yield
    while processes.STARTED:
        processes.STARTED.pop().kill_if_running()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The shipped knowledge base, loaded once per test run (read-only, safe to share)."""
    return load_knowledge(Settings(_env_file=None))  # type: ignore[call-arg]


@pytest.fixture
async def wired(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[tuple[AppContext, Dispatcher]]:
    app, dispatcher = await prepare(settings, clock, knowledge)
    app.channels["fake"] = FakeChannel()
    try:
        yield app, dispatcher
    finally:
        await app.close()


@pytest.fixture
def app(wired: tuple[AppContext, Dispatcher]) -> AppContext:
    return wired[0]


@pytest.fixture
def dispatcher(wired: tuple[AppContext, Dispatcher]) -> Dispatcher:
    return wired[1]


@pytest.fixture
def chat(dispatcher: Dispatcher) -> Chat:
    return Chat(dispatcher)


@pytest.fixture
async def web_client(app: AppContext, dispatcher: Dispatcher) -> AsyncIterator[TestClient]:
    """An HTTP client for the web chat server (aiohttp test server on 127.0.0.1)."""
    channel = WebChatChannel(app, dispatcher)
    app.channels[channel.name] = channel
    async with TestClient(TestServer(build_web_app(app, [channel.mount]))) as client:
        yield client


@pytest.fixture
def fake_channel(app: AppContext) -> FakeChannel:
    channel = app.channels["fake"]
    assert isinstance(channel, FakeChannel)
    return channel
