"""Running the whole bot with a Zalo surface against the fakes in tests/fake_zalo.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select

from bot.channels.base import RetryPolicy
from bot.channels.zalo.bot_channel import ZaloBotChannel
from bot.channels.zalo.channel import ZaloTuning
from bot.channels.zalo.oa_channel import ZaloOaChannel
from bot.channels.zalo.stores import record_of
from bot.channels.zalo.tokens import StoredTokens, TokenGrant, TokenPair, TokenPolicy
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.messages import Reply
from bot.runtime import Runtime, running
from storage import outbox, zalo
from storage.db import create_engine, create_session_maker, upgrade_schema
from storage.models import OutboxMessage
from storage.outbox import FINAL, Priority
from tests.fake_zalo import (
    BOT_TOKEN,
    OA_APP_ID,
    OA_APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOA,
    IssuedTokens,
    SignedEvent,
)

TUNING = ZaloTuning(
    retry=RetryPolicy(attempts=3, backoff_seconds=0.01),
    request_timeout_seconds=2,
    poll_timeout=2,
    poll_interval_seconds=0.01,
    poll_backoff_seconds=0.05,
    token_policy=TokenPolicy(poll_seconds=0.01, lease=timedelta(seconds=5)),
    shutdown_grace_seconds=5,
)


def oa_settings(settings: Settings, oa: FakeZaloOA, **changes: Any) -> Settings:
    """The test settings plus the Zalo OA pointed at the fake."""
    update: dict[str, Any] = {
        "zalo_oa_app_id": OA_APP_ID,
        "zalo_oa_secret_key": SecretStr(OA_SECRET_KEY),
        "zalo_oa_app_secret": SecretStr(OA_APP_SECRET),
        "zalo_oa_api_base": oa.api_base,
        "zalo_oauth_base": oa.oauth_base,
        **changes,
    }
    return settings.model_copy(update=update)


def bot_settings(settings: Settings, fake: FakeZaloBot, **changes: Any) -> Settings:
    """The test settings plus the Zalo Bot pointed at the fake (polling unless changed)."""
    update: dict[str, Any] = {
        "zalo_bot_token": SecretStr(BOT_TOKEN),
        "zalo_bot_api_base": fake.base_url,
        **changes,
    }
    return settings.model_copy(update=update)


async def store_tokens(settings: Settings, issued: IssuedTokens, now: datetime) -> None:
    """What `python -m bot zalo token set` does, before the bot starts."""
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        await upgrade_schema(engine)
        grant = TokenGrant(issued.access_token, issued.refresh_token, timedelta(seconds=90_000))
        record = record_of(StoredTokens(TokenPair.from_grant(grant, now)))
        async with create_session_maker(engine)() as db, db.begin():
            await zalo.save_tokens(db, OA_APP_ID, record, now)
    finally:
        await engine.dispose()


@dataclass
class OaHarness:
    """The running bot, the fake OA, and the webhook URL the fake posts events to."""

    runtime: Runtime
    oa: FakeZaloOA

    @property
    def channel(self) -> ZaloOaChannel:
        channel = self.runtime.app.channels["zalo_oa"]
        assert isinstance(channel, ZaloOaChannel)
        return channel

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.runtime.web_port}{self.channel.webhook_path}"

    async def post(self, event: SignedEvent) -> int:
        status, _ = await self.oa.post_event(self.webhook_url, event)
        return status

    async def say(self, user_id: str, text: str) -> dict[str, Any]:
        """The citizen writes; the bot's next message to them."""
        return await self.next_after(user_id, self.oa.text_event(user_id, text))

    async def next_after(self, user_id: str, event: SignedEvent) -> dict[str, Any]:
        seen = len(self.oa.messages_to(user_id))
        assert await self.post(event) == 200
        await self.oa.wait_for(lambda: len(self.oa.messages_to(user_id)) > seen)
        await self.settled()
        return self.oa.messages_to(user_id)[-1]

    async def settled(self) -> None:
        """Wait until every stored event is handled (its replies sent)."""
        await self.oa.wait_for(lambda: self.channel.in_flight == 0)


@asynccontextmanager
async def oa_running(
    settings: Settings, clock: ManualClock, knowledge: Knowledge, **changes: Any
) -> AsyncIterator[OaHarness]:
    """The whole bot serving the Zalo OA (and the web chat) against a fresh fake OA."""
    async with FakeZaloOA(clock.now) as oa:
        configured = oa_settings(settings, oa, **changes)
        await store_tokens(configured, oa.issue_tokens(), clock.now())
        async with running(configured, clock, zalo_tuning=TUNING, knowledge=knowledge) as runtime:
            yield OaHarness(runtime, oa)


@dataclass
class BotHarness:
    """The running bot and the fake Zalo Bot API."""

    runtime: Runtime
    fake: FakeZaloBot

    @property
    def channel(self) -> ZaloBotChannel:
        channel = self.runtime.app.channels["zalo_bot"]
        assert isinstance(channel, ZaloBotChannel)
        return channel

    def texts_to(self, chat_id: str) -> list[str]:
        return [str(m["text"]) for m in self.fake.sent if m.get("chat_id") == chat_id]

    async def say(self, user_id: str, text: str) -> list[str]:
        """The citizen writes; every message the bot sent them in answer."""
        seen = len(self.texts_to(user_id))
        self.fake.inject_text(user_id, text)
        await self.fake.wait_for(lambda: len(self.texts_to(user_id)) > seen)
        await self.fake.wait_for(lambda: self.channel.in_flight == 0)
        return self.texts_to(user_id)[seen:]


@asynccontextmanager
async def bot_running(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake_options: dict[str, Any] | None = None,
    **changes: Any,
) -> AsyncIterator[BotHarness]:
    """The whole bot serving the Zalo Bot (long polling unless changed) against a fresh fake."""
    async with FakeZaloBot(clock.now, **(fake_options or {})) as fake:
        configured = bot_settings(settings, fake, **changes)
        async with running(configured, clock, zalo_tuning=TUNING, knowledge=knowledge) as runtime:
            yield BotHarness(runtime, fake)


async def queue(
    app: AppContext,
    channel: str,
    chat_id: str,
    reply: Reply,
    *,
    priority: int = Priority.BULK,
    kind: str = "campaign.reminder",
) -> int:
    """Queue an outbox row as the reminders feature does; its id."""
    async with app.transaction() as db:
        message = outbox.Message(channel, chat_id, reply.to_dict(), kind=kind, priority=priority)
        assert await outbox.enqueue(db, message, app.clock.now())
        row_id = await db.scalar(select(func.max(OutboxMessage.id)))
    app.outbox_wakeup.set()
    assert row_id is not None
    return int(row_id)


async def wait_final(
    app: AppContext, ids: Sequence[int], within: float = 10.0
) -> list[OutboxMessage]:
    """The rows, once each is in a final status (sent, skipped, failed...)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with app.open_db() as db:
            rows = [await db.get(OutboxMessage, row_id, populate_existing=True) for row_id in ids]
        found = [row for row in rows if row is not None]
        if len(found) == len(ids) and all(row.status in FINAL for row in found):
            return found
        if loop.time() > deadline:
            raise TimeoutError([(row.id, row.status, row.last_error) for row in found])
        app.outbox_wakeup.set()
        await asyncio.sleep(0.02)
