"""How Telegram updates come in: long polling of our own, or the webhook on the shared server.

Every update is stored in the inbox (bot/inbox.py) before it is acknowledged: the webhook
answers 200 after the insert commits; polling asks for the next batch (which confirms the
previous offset) only after the batch is stored. Each stored update is then handed to the
channel (bot/channels/telegram.py) to be handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Bot as PtbBot
from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError

from bot.channels.telegram_inbound import is_id, received
from bot.inbox import Inbox
from bot.tasks import TrackedTasks
from bot.webserver import BodyError, json_status, read_json_object

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramTuning

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Only what the adapter uses: fewer updates to fetch, and edits/channel posts are ignored.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")

# Called with each stored update: (inbox id, update, whether it holds a polling slot).
OnStored = Callable[[int, Update, bool], None]


class Intake:
    """Takes updates by polling or the webhook once open, stores them, hands them on."""

    def __init__(
        self,
        bot: PtbBot,
        inbox: Inbox,
        tuning: TelegramTuning,
        secret: str,
        tasks: TrackedTasks,
        slots: asyncio.Semaphore,
        on_stored: OnStored,
    ) -> None:
        self._bot = bot
        self._inbox = inbox
        self._tuning = tuning
        self._secret = secret
        self._tasks = tasks
        self._slots = slots
        self._on_stored = on_stored
        self._poller: asyncio.Task[None] | None = None
        self._accepting = False

    async def open(self, webhook_url: str | None, webhook_path: str) -> None:
        """Start taking updates: set the webhook, or else start polling."""
        self._accepting = True
        if webhook_url:
            await self._bot.set_webhook(
                webhook_url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES
            )
            logger.info("telegram: webhook mode, serving %s", webhook_path)
            return
        # Polling and a webhook exclude each other; pending updates are kept, not dropped.
        await self._bot.delete_webhook(drop_pending_updates=False)
        self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        logger.info("telegram: polling mode")

    async def close(self) -> None:
        """Stop taking updates (the ones already taken go on)."""
        self._accepting = False
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller

    async def _poll(self) -> None:
        """Long polling of our own: a batch is stored before the next getUpdates confirms it
        (python-telegram-bot's Updater confirms batches the application has not handled)."""
        offset: int | None = None
        backoff = self._tuning.poll_backoff_seconds
        while self._accepting:
            try:
                updates = await self._bot.get_updates(
                    offset=offset,
                    timeout=self._tuning.poll_timeout,
                    allowed_updates=ALLOWED_UPDATES,
                    read_timeout=self._tuning.poll_timeout + self._tuning.read_timeout,
                )
            except InvalidToken:
                logger.critical("telegram: the bot token was refused; polling stopped")
                return
            except (Conflict, NetworkError) as error:
                # Conflict: another process polls this token (only one may).
                logger.warning("telegram: getUpdates failed (%s); retrying", error.message)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = self._tuning.poll_backoff_seconds
            if not updates:
                continue
            stored = await self._inbox.store([received(update) for update in updates])
            for inbox_id, update in zip(stored, updates, strict=True):
                if inbox_id is not None:
                    await self._slots.acquire()  # backpressure: at most N updates at once
                    self._on_stored(inbox_id, update, True)
            offset = updates[-1].update_id + 1

    async def webhook(self, request: web.Request) -> web.Response:
        """Secret first, body second; store the update, then answer 200 and handle it."""
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return json_status(401, "missing secret token")
        if not hmac.compare_digest(given.encode("utf-8"), self._secret.encode("utf-8")):
            logger.warning("telegram: webhook call with a wrong secret")
            return json_status(403, "wrong secret token")
        try:
            data = await read_json_object(request, self._tuning.max_webhook_body_bytes)
            if not is_id(data.get("update_id")):  # python-telegram-bot does not check it
                raise ValueError("no update id")
            update = Update.de_json(data, self._bot)
            if update is None:
                raise ValueError("empty update")
        except BodyError as error:
            return json_status(error.status, error.message)
        except Exception:  # de_json raises KeyError/TypeError/ValueError on bad shapes
            return json_status(400, "malformed update")
        if not self._accepting or len(self._tasks) >= self._tuning.max_pending_webhook_updates:
            return json_status(503, "busy")  # Telegram delivers it again later
        (inbox_id,) = await self._inbox.store([received(update, data)])
        if inbox_id is not None:  # None: a re-delivery of an update already stored
            self._on_stored(inbox_id, update, False)
        return web.json_response({"ok": True})
