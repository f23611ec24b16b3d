"""Zalo Bot channel (Bot API): getUpdates long polling or a webhook in, plain texts out.

The Bot API has no buttons (S1, S2, S5): they are numbered lists, and a typed number
presses one (the dispatcher). Polling and a webhook exclude each other (S2, S5, S6), as
on Telegram: with ZALO_BOT_WEBHOOK_URL set the webhook is registered, otherwise it is
deleted and we poll. getUpdates has no offset (S5, S6) and replays consumed updates (S2):
the inbox keeps the message id, so a replay is dropped before it is handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.alerts import alert_organizers
from bot.channels.base import DeliveryError, PermanentFailure, RetryAfter, TemporaryFailure
from bot.channels.zalo.bot_api import TokenRefused, WebhookActive, ZaloBotApi
from bot.channels.zalo.channel import ZaloChannel, ZaloTuning
from bot.channels.zalo.errors import QuotaExhausted
from bot.channels.zalo.inbound import InboundEvent, MalformedEvent, parse_bot_update
from bot.channels.zalo.quota import (
    BudgetPolicy,
    MonthlyBudget,
    Reservation,
    SendKind,
    month_of,
)
from bot.channels.zalo.render import render_bot
from bot.channels.zalo.stores import DatabaseBudgetStore
from bot.channels.zalo.webhook_auth import BOT_SECRET_HEADER, bot_secret_ok
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.webserver import BodyError, json_status, read_json_object
from storage.conversations import count_chats

logger = logging.getLogger(__name__)

CHANNEL = "zalo_bot"
DEFAULT_WEBHOOK_PATH = "/zalo/bot/webhook"
MAX_BACKOFF_SECONDS = 30.0


def budget_counter(token: str) -> str:
    """Which count a bot's sends go to: its id, the token's part before the colon (S6)."""
    return "zalo_bot:" + token.partition(":")[0][:40]


class ZaloBotChannel(ZaloChannel[str]):
    """Serves citizens who chat with the Zalo Bot; its sends are counted against the plan."""

    name = CHANNEL

    def __init__(
        self, app: AppContext, dispatcher: Dispatcher, tuning: ZaloTuning | None = None
    ) -> None:
        super().__init__(app, dispatcher, tuning)
        settings = app.settings
        token = settings.zalo_bot_token.get_secret_value() if settings.zalo_bot_token else ""
        if not token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        self._token = token
        self.webhook_url = settings.zalo_bot_webhook_url or None
        secret = settings.zalo_bot_webhook_secret
        self._secret = secret.get_secret_value() if secret is not None else ""
        if self.webhook_url and not 8 <= len(self._secret) <= 256:  # setWebhook's rule (S6)
            raise ValueError(
                "ZALO_BOT_WEBHOOK_SECRET (8-256 characters) is required with ZALO_BOT_WEBHOOK_URL"
            )
        self.budget = MonthlyBudget(
            DatabaseBudgetStore(app, budget_counter(token)),
            app.clock.now,
            self._budget_warning,
            BudgetPolicy(limit=settings.zalo_bot_monthly_quota),
        )
        self._api: ZaloBotApi | None = None
        self._session: aiohttp.ClientSession | None = None
        self._poller: asyncio.Task[None] | None = None
        self._user_watch: asyncio.Task[None] | None = None

    @property
    def webhook_path(self) -> str:
        """The path of ZALO_BOT_WEBHOOK_URL, mounted on the shared web server."""
        return urlsplit(self.webhook_url or "").path or DEFAULT_WEBHOOK_PATH

    @property
    def api(self) -> ZaloBotApi:
        if self._api is None:
            raise RuntimeError("the Zalo Bot channel is not started")
        return self._api

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """getMe, resume the inbox, then set the webhook or delete it and poll."""
        self._session = aiohttp.ClientSession()
        self._api = ZaloBotApi(
            self._session,
            self._token,
            base_url=self.app.settings.zalo_bot_api_base,
            timeout_seconds=self.tuning.request_timeout_seconds,
        )
        try:
            me = await self.api.get_me()
            logger.info("zalo bot: connected as %s", str(me.get("account_name", "?"))[:64])
            await self._choose_transport()
        except TokenRefused:
            raise  # a wrong ZALO_BOT_TOKEN: better to fail at start than to look alive
        except DeliveryError as error:  # Zalo unreachable: the rest of the bot still runs
            logger.error("zalo bot: start-up call failed (%s); polling retries", error)
        await self.resume()
        self._accepting = True
        if not self.webhook_url:
            self._poller = asyncio.create_task(self._poll(), name="zalo-bot-polling")
        self._user_watch = asyncio.create_task(self._watch_users(), name="zalo-bot-users")

    async def _choose_transport(self) -> None:
        if self.webhook_url:
            await self.api.set_webhook(self.webhook_url, self._secret)
            logger.info("zalo bot: webhook mode, serving %s", self.webhook_path)
        else:
            await self.api.delete_webhook()
            logger.info("zalo bot: polling mode")

    async def stop(self) -> None:
        self._accepting = False
        for task in (self._poller, self._user_watch):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.finish()
        if self._session is not None:
            await self._session.close()

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.webhook_path, self._webhook)

    # --- receiving ---------------------------------------------------------------------------

    async def _poll(self) -> None:
        """One update per getUpdates (S5); each is stored before the next poll."""
        loop = asyncio.get_running_loop()
        backoff = self.tuning.poll_backoff_seconds
        while self._accepting:
            started = loop.time()
            try:
                updates = await self.api.get_updates(self.tuning.poll_timeout)
            except TokenRefused:
                logger.critical("zalo bot: the bot token was refused; polling stopped")
                return
            except RetryAfter as error:
                await asyncio.sleep(error.seconds)
                continue
            except (TemporaryFailure, PermanentFailure) as error:
                # WebhookActive: another deployment set a webhook for this token.
                level = logging.ERROR if isinstance(error, WebhookActive) else logging.WARNING
                logger.log(level, "zalo bot: getUpdates failed (%s); retrying", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            backoff = self.tuning.poll_backoff_seconds
            for update in updates:
                await self._take_update(update)
            await asyncio.sleep(max(0.0, self.tuning.poll_interval_seconds - loop.time() + started))

    async def _take_update(self, update: Mapping[str, Any]) -> None:
        try:
            event = parse_bot_update(update)
            self.check(event)
        except MalformedEvent as error:
            logger.warning("zalo bot: update ignored: %s", error)
            return
        await self.take(event, update)

    async def _webhook(self, request: web.Request) -> web.Response:
        """Secret first, body second; store the update, then answer 200 and handle it."""
        given = request.headers.get(BOT_SECRET_HEADER)
        if given is None:
            return json_status(401, "missing secret token")
        if not bot_secret_ok(given, self._secret):
            logger.warning("zalo bot: webhook call with a wrong secret")
            return json_status(403, "wrong secret token")
        try:
            data = await read_json_object(request, self.tuning.max_webhook_body_bytes)
            event = parse_bot_update(data)
            self.check(event)
        except BodyError as error:
            return json_status(error.status, error.message)
        except MalformedEvent:
            return json_status(400, "malformed update")
        if self.busy:
            return json_status(503, "busy")
        await self.take(event, data)
        return web.json_response({"ok": True})

    def parse(self, payload: Mapping[str, Any]) -> InboundEvent:
        return parse_bot_update(payload)

    # --- sending -----------------------------------------------------------------------------

    def render(self, reply: Reply, first_number: int) -> list[str]:
        return render_bot(reply, first_number)

    async def admit(self, chat_id: str, messages: int, priority: int) -> object:
        """Count the messages first: near the end of the month bulk messages are refused
        first and replies last (QuotaExhausted, a skip with its reason)."""
        return await self.budget.reserve(SendKind.of_priority(priority), messages)

    async def refused(self, admission: object, error: DeliveryError) -> None:
        """Not sent: uncount it, unless it may have gone out or Zalo says the quota is gone."""
        if not isinstance(admission, Reservation):
            return
        if isinstance(error, QuotaExhausted):
            await self.budget.use_up(admission)
        elif not isinstance(error, TemporaryFailure):  # a timeout may have delivered it
            await self.budget.give_back(admission)

    async def deliver(self, chat_id: str, part: str) -> str | None:
        return (await self.api.send_message(chat_id, part)).message_id

    async def _budget_warning(self, used: int, limit: int) -> None:
        logger.warning("zalo bot: %d of the %d messages of this month are used", used, limit)
        text = (
            f"Zalo Bot: {used} of the {limit} messages the plan allows this month are used. "
            "Near the end reminders and announcements are skipped first, replies last; "
            "a paid plan or a second bot raises the limit (ZALO_BOT_MONTHLY_QUOTA)."
        )
        month = month_of(self.app.clock.now())
        await alert_organizers(self.app, text, key=f"zalo-bot-quota:{month}")

    async def _watch_users(self) -> None:
        """The plan also caps the people a bot serves (50 on Basic, S2): warn before it."""
        while True:
            try:
                await self.check_users()
            except Exception:
                logger.exception("zalo bot: counting users failed")
            await asyncio.sleep(self.tuning.users_check_seconds)

    async def check_users(self) -> None:
        """Alert organizers once at 80% of ZALO_BOT_MAX_USERS and once at 100%."""
        limit = self.app.settings.zalo_bot_max_users
        async with self.app.open_db() as db:
            people = await count_chats(db, self.name)
        if limit <= 0 or people < limit * 0.8:
            return
        reached = people >= limit
        logger.warning("zalo bot: %d people use the bot; the plan allows %d", people, limit)
        text = (
            f"Zalo Bot: {people} people have written to the bot and its plan serves {limit}. "
            + ("New people may not be served. " if reached else "")
            + "A paid plan, a second bot or the Zalo OA (ZALO_OA_*) serves more."
        )
        await alert_organizers(self.app, text, key=f"zalo-bot-users:{'full' if reached else 80}")
