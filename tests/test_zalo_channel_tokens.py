"""The OA token pair in the database: two workers refresh once, problems are told, the CLI."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.channels.zalo.oa_api import OaApi
from bot.channels.zalo.stores import DatabaseTokenStore
from bot.channels.zalo.tokens import StoredTokens, TokenKeeper, TokenPair, TokenProblem
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge, build_app_context
from storage import zalo
from storage.db import create_engine, create_session_maker
from storage.models import OutboxMessage
from storage.outbox import Priority
from tests.fake_zalo import OA_APP_ID, OA_APP_SECRET, FakeZaloOA
from tests.zalo_support import TUNING, oa_running

ROOT = Path(__file__).resolve().parent.parent
CITIZEN = "6142494823000000004"
ORGANIZER = "6142494823000000099"


class WatchedStore(DatabaseTokenStore):
    """Tells when this worker has seen another one's refresh lease."""

    def __init__(self, app: AppContext) -> None:
        super().__init__(app, OA_APP_ID)
        self.saw_lease = asyncio.Event()

    async def load(self) -> StoredTokens | None:
        tokens = await super().load()
        if tokens is not None and tokens.leased(self.app.clock.now()):
            self.saw_lease.set()
        return tokens


async def no_problem(problem: TokenProblem) -> None:
    raise AssertionError(problem)


def keeper_for(
    store: DatabaseTokenStore, session: aiohttp.ClientSession, oa: FakeZaloOA
) -> TokenKeeper:
    app = store.app
    api = OaApi(
        session,
        app_id=OA_APP_ID,
        app_secret=OA_APP_SECRET,
        now=app.clock.now,
        api_base=oa.api_base,
        oauth_base=oa.oauth_base,
        timeout_seconds=5,
    )
    return TokenKeeper(store, api.refresh, app.clock.now, no_problem, TUNING.token_policy)


async def test_two_workers_racing_for_an_expired_token_refresh_once(
    app: AppContext, settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """Two engines on one database (two workers): one spends the refresh token, the
    other waits for the pair it stores; the single-use refresh token is used once."""
    other = build_app_context(settings, clock, knowledge)
    async with FakeZaloOA(clock.now) as oa, aiohttp.ClientSession() as session:
        issued = oa.issue_tokens()
        oa.expire_access_token(issued.access_token)
        now = clock.now()
        pair = TokenPair(
            issued.access_token,
            issued.refresh_token,
            now - timedelta(seconds=1),
            now + timedelta(days=90),
        )
        first_store, second_store = WatchedStore(app), WatchedStore(other)
        await first_store.save(StoredTokens(pair))
        first, second = keeper_for(first_store, session, oa), keeper_for(second_store, session, oa)
        try:
            refreshing = oa.hold("access_token")
            one = asyncio.create_task(first.access_token())
            await asyncio.wait_for(refreshing.entered.wait(), 5)
            two = asyncio.create_task(second.access_token())
            await asyncio.wait_for(second_store.saw_lease.wait(), 5)  # it waits, does not refresh
            refreshing.release()
            tokens = await asyncio.wait_for(asyncio.gather(one, two), 10)
        finally:
            await other.close()
    [call] = oa.calls_of("access_token")
    assert call.params["refresh_token"] == issued.refresh_token
    assert tokens[0] == tokens[1] == call.answer["access_token"]
    async with app.open_db() as db:
        record = await zalo.load_tokens(db, OA_APP_ID)
    assert record is not None and record.lease_id is None
    assert record.refresh_token == call.answer["refresh_token"]


async def test_many_concurrent_sends_on_two_workers_refresh_once(
    app: AppContext, settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    other = build_app_context(settings, clock, knowledge)
    async with FakeZaloOA(clock.now) as oa, aiohttp.ClientSession() as session:
        issued = oa.issue_tokens()
        now = clock.now()
        # Still valid, but inside the "refresh ahead" margin: the first caller refreshes.
        pair = TokenPair(
            issued.access_token,
            issued.refresh_token,
            now + timedelta(hours=1),
            now + timedelta(days=90),
        )
        await DatabaseTokenStore(app, OA_APP_ID).save(StoredTokens(pair))
        keepers = [
            keeper_for(DatabaseTokenStore(context, OA_APP_ID), session, oa)
            for context in (app, other, app, other, app, other)
        ]
        try:
            tokens = await asyncio.gather(*(keeper.access_token() for keeper in keepers))
        finally:
            await other.close()
    [call] = oa.calls_of("access_token")
    assert set(tokens) <= {issued.access_token, call.answer["access_token"]}


async def alerts(app: AppContext) -> list[OutboxMessage]:
    async with app.open_db() as db:
        rows = (
            await db.execute(select(OutboxMessage).where(OutboxMessage.kind == "alert"))
        ).scalars()
        return list(rows)


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_refused_refresh_is_logged_and_organizers_are_alerted(
    settings: Settings, clock: ManualClock, knowledge: Knowledge, caplog: pytest.LogCaptureFixture
) -> None:
    admins = f"zalo_oa:{ORGANIZER}"
    async with oa_running(settings, clock, knowledge, admin_ids=admins) as oa_bot:
        app = oa_bot.runtime.app
        await oa_bot.say(CITIZEN, "/start")
        stored = await DatabaseTokenStore(app, OA_APP_ID).load()
        assert stored is not None
        async with aiohttp.ClientSession() as session:  # someone else spent the refresh token
            api = OaApi(
                session,
                app_id=OA_APP_ID,
                app_secret=OA_APP_SECRET,
                now=clock.now,
                api_base=oa_bot.oa.api_base,
                oauth_base=oa_bot.oa.oauth_base,
            )
            await api.refresh(stored.pair.refresh_token)
        clock.advance(timedelta(hours=26))  # the access token has run out
        assert await oa_bot.post(oa_bot.oa.text_event(CITIZEN, "/help")) == 200
        await oa_bot.settled()
        [alert] = await alerts(app)
    assert (alert.channel, alert.chat_id, alert.priority) == ("zalo_oa", ORGANIZER, Priority.NOTICE)
    assert "python -m bot zalo token set" in alert.reply["text"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("refresh_rejected" in message for message in errors), errors


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_a_refresh_token_near_its_end_is_reported_at_start(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    admins = f"zalo_oa:{ORGANIZER}"
    async with oa_running(settings, clock, knowledge, admin_ids=admins) as oa_bot:
        app = oa_bot.runtime.app
        store = DatabaseTokenStore(app, OA_APP_ID)
        stored = await store.load()
        assert stored is not None
        await store.save(
            StoredTokens(
                TokenPair(
                    stored.pair.access_token,
                    stored.pair.refresh_token,
                    stored.pair.access_expires_at,
                    clock.now() + timedelta(days=10),
                )
            )
        )
        await oa_bot.say(CITIZEN, "/start")  # any use of the token looks at its expiry
        [alert] = await alerts(app)
    assert "refresh token expires" in alert.reply["text"]


def zalo_cli(
    *args: str, stdin: str, tmp_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ZALO_")},
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "LOG_LEVEL": "WARNING",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "zalo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=120,
        check=False,
    )


def test_token_set_stores_the_first_pair_and_status_shows_no_token(tmp_path: Path) -> None:
    access, refresh = "AT-first-access-token-value", "RT-first-refresh-token-value"
    refused = zalo_cli("token", "set", stdin=f"{access}\n{refresh}\n", tmp_path=tmp_path)
    assert refused.returncode == 2 and "ZALO_OA_APP_ID" in refused.stderr
    env = {"ZALO_OA_APP_ID": OA_APP_ID}
    bad = zalo_cli("token", "set", stdin="only-one\n", tmp_path=tmp_path, **env)
    assert bad.returncode == 2 and "two lines" in bad.stderr
    stored = zalo_cli(
        "token",
        "set",
        "--expires-in",
        "3600",
        stdin=f"{access}\n{refresh}\n",
        tmp_path=tmp_path,
        **env,
    )
    assert stored.returncode == 0, stored.stderr
    assert "Stored the Zalo OA tokens" in stored.stdout
    assert access not in stored.stdout + stored.stderr and refresh not in stored.stdout
    status = zalo_cli("status", stdin="", tmp_path=tmp_path, **env, ZALO_BOT_TOKEN="1:x")
    assert status.returncode == 0, status.stderr
    assert "Zalo OA: access token valid until" in status.stdout
    assert "Zalo Bot: 0 of 3000 messages used" in status.stdout
    assert access not in status.stdout and refresh not in status.stdout

    async def read() -> zalo.TokenRecord | None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        try:
            async with create_session_maker(engine)() as db:
                return await zalo.load_tokens(db, OA_APP_ID)
        finally:
            await engine.dispose()

    record = asyncio.run(read())
    assert record is not None and (record.access_token, record.refresh_token) == (access, refresh)
    lifetime = record.access_expires_at - record.refresh_expires_at + timedelta(days=90)
    assert timedelta(minutes=55) < lifetime <= timedelta(hours=1)
