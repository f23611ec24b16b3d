"""Telegram channel: python-telegram-bot as a thin adapter onto the dispatcher.

Only `telegram.Bot` (HTTP calls, types) is used; long polling is our own loop
(bot/channels/telegram_intake.py): one update becomes one `Incoming`, the dispatcher's
replies go back. No handlers,
ConversationHandler or persistence of python-telegram-bot: state lives in our database.

Every update is stored in the inbox (bot/inbox.py) before it is acknowledged, by polling
or the webhook (bot/channels/telegram_intake.py). Stored updates are handled in tracked
background tasks, one chat at a time (so replies keep their order) and many chats in
parallel; what a crash interrupted is handled after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Bot as PtbBot
from telegram import BotCommand, CallbackQuery, Update
from telegram.constants import ChatMemberStatus
from telegram.constants import ChatType as TelegramChatType
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.channels import telegram_render as render
from bot.channels.base import GroupCheck, OnWire, Sent
from bot.channels.telegram_buttons import acknowledge, resolve_token
from bot.channels.telegram_delivery import Deliverer, RetryPolicy, SendGate
from bot.channels.telegram_desk import TelegramDesk
from bot.channels.telegram_inbound import CHANNEL, incoming_from
from bot.channels.telegram_intake import Intake
from bot.channels.telegram_typing import Typing
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.locks import KeyedLocks
from bot.messages import ChatType, Incoming, Reply
from bot.privacy import mask_id
from bot.tasks import TrackedTasks
from storage.conversations import mark_blocked

logger = logging.getLogger(__name__)

DEFAULT_WEBHOOK_PATH = "/telegram/webhook"


@dataclass(frozen=True)
class TelegramTuning:
    """Timeouts, retries and concurrency; the defaults suit production, tests shrink them."""

    read_timeout: float = 10.0
    connect_timeout: float = 5.0
    poll_timeout: int = 25  # long-polling seconds per getUpdates
    poll_backoff_seconds: float = 1.0  # after a failed getUpdates (doubles up to 30 s)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_concurrent_updates: int = 64  # updates handled at once (polling backpressure)
    max_pending_webhook_updates: int = 1000  # beyond this the webhook answers 503
    max_webhook_body_bytes: int = 1_048_576  # Telegram updates are a few KB
    # "typing…" only when the answer takes longer than this: a faster reply makes it
    # pointless, and each chat action is one more API call under the flood limits.
    typing_after_seconds: float = 1.0
    typing_refresh_seconds: float = 4.0  # the typing status lasts about 5 s
    shutdown_grace_seconds: float = 10.0
    # TELEGRAM_GROUP_RATE_PER_MINUTE counts messages in a window this long (tests shrink it).
    group_window_seconds: float = 60.0


class TelegramChannel:
    """Serves citizens in private chats, by long polling or a webhook on the shared server;
    a group chat may be the volunteer desk (bot.channels.base.GroupDesk)."""

    name = CHANNEL

    def __init__(
        self, app: AppContext, dispatcher: Dispatcher, tuning: TelegramTuning | None = None
    ) -> None:
        settings = app.settings
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self.app = app
        self.dispatcher = dispatcher
        self.tuning = tuning or TelegramTuning()
        self.webhook_url = settings.telegram_webhook_url or None
        secret = settings.telegram_webhook_secret
        secret_value = secret.get_secret_value() if secret is not None else ""
        if self.webhook_url and not secret_value:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set")
        self.bot = PtbBot(
            settings.telegram_bot_token.get_secret_value(),
            base_url=settings.telegram_api_base_url,
            request=HTTPXRequest(
                connection_pool_size=self.tuning.max_concurrent_updates,
                read_timeout=self.tuning.read_timeout,
                connect_timeout=self.tuning.connect_timeout,
                pool_timeout=self.tuning.read_timeout,
            ),
            get_updates_request=HTTPXRequest(
                connection_pool_size=1, connect_timeout=self.tuning.connect_timeout
            ),
        )
        gate = SendGate(
            settings.telegram_rate_per_second,
            settings.telegram_chat_rate_per_second,
            settings.telegram_group_rate_per_minute,
            self.tuning.group_window_seconds,
            app.budgets,
        )
        self.delivery = Deliverer(self.bot, gate, self._mark_blocked, self.tuning.retry)
        self.desk = TelegramDesk(self.bot, self.delivery)
        self.inbox = Inbox(app, self.name)
        self._chat_locks = KeyedLocks()
        self._slots = asyncio.Semaphore(self.tuning.max_concurrent_updates)
        self._tasks = TrackedTasks("telegram")
        self.intake = Intake(
            self.bot,
            self.inbox,
            self.tuning,
            secret_value,
            self._tasks,
            self._slots,
            self._spawn_stored,
        )

    @property
    def webhook_path(self) -> str:
        """The path of TELEGRAM_WEBHOOK_URL, mounted on the shared web server."""
        return urlsplit(self.webhook_url or "").path or DEFAULT_WEBHOOK_PATH

    @property
    def in_flight(self) -> int:
        """Updates taken but not finished (tests wait for 0; shutdown waits for them)."""
        return len(self._tasks)

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """getMe, register the commands, resume the inbox, then poll or set the webhook."""
        await self.bot.initialize()
        logger.info("telegram: connected as @%s", self.bot.username)
        await self._register_commands()
        await self._resume()
        await self.intake.open(self.webhook_url, self.webhook_path)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones taken, then close the HTTP clients."""
        await self.intake.close()
        await self._tasks.finish(self.tuning.shutdown_grace_seconds)
        await self.bot.shutdown()

    async def _register_commands(self) -> None:
        commands = [
            BotCommand(name, description[:256])
            for name, description in self.dispatcher.router.described_commands()
        ]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramError as error:  # the bot still works without the menu
            logger.warning("telegram: set_my_commands failed: %s", error)

    async def _resume(self) -> None:
        """Handle what the last run stored and did not finish, in arrival order."""
        found = await self.inbox.resume()
        for inbox_id, payload in found.to_handle:
            self._spawn_stored(inbox_id, Update.de_json(payload, self.bot))
        for inbox_id, chat_id, replies in found.to_resend:
            self._tasks.spawn(self._resend(inbox_id, chat_id, replies))

    def _spawn_stored(self, inbox_id: int, update: Update, release_slot: bool = False) -> None:
        self._tasks.spawn(self._process(inbox_id, update, release_slot))

    # --- outbox ------------------------------------------------------------------------

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        """Outbox delivery: raise DeliveryError subclasses, never retry the first part inline.

        Once the first part went out, later parts of a long reply are retried here:
        rescheduling the row would send the first part twice. A reply with a picture
        (`media_id`, a Telegram file id) is that picture, its text the caption.
        """
        parts = render.render_with_photo(reply) if reply.media_id else render.render(reply)
        first, *rest = parts
        message_id = await self.delivery.send_once(
            chat_id, first, on_wire, thread_id, photo=reply.media_id, priority=priority
        )
        for part in rest:
            await self.delivery.send_patiently(chat_id, part, thread_id)
        return Sent(message_id)

    # --- volunteer desk (GroupDesk, see telegram_desk.py) ------------------------------

    async def check_group(self, chat_id: str) -> GroupCheck:
        return await self.desk.check_group(chat_id)

    def last_check(self, chat_id: str) -> GroupCheck | None:
        return self.desk.last_check(chat_id)

    async def open_topic(self, chat_id: str, title: str) -> str:
        return await self.desk.open_topic(chat_id, title)

    async def edit_message(self, chat_id: str, message_id: str, reply: Reply) -> None:
        await self.desk.edit_message(chat_id, message_id, reply)

    async def is_member(self, chat_id: str, user_id: str) -> bool:
        return await self.desk.is_member(chat_id, user_id)

    # --- webhook (see telegram_intake.py) ----------------------------------------------

    def mount(self, web_app: web.Application) -> None:
        """Add the webhook route to the shared aiohttp application."""
        web_app.router.add_post(self.webhook_path, self.intake.webhook)

    # --- one update --------------------------------------------------------------------

    async def _process(self, inbox_id: int, update: Update, release_slot: bool) -> None:
        try:
            converted = incoming_from(update)
            if converted is None:
                await self._ignore(update)
                await self.inbox.done(inbox_id)
                return
            incoming, query = converted
            incoming = replace(incoming, inbox_id=inbox_id)
            # The first await of the task: tasks start in update order, and the FIFO lock
            # keeps that order per chat for the handling *and* the sending.
            async with self._chat_locks.hold(incoming.chat_id):
                await self.inbox.wait_for_earlier(inbox_id, incoming.chat_id)
                await self._handle(incoming, query)
                await self.inbox.done(inbox_id)
        except Exception:
            self.inbox.failed(inbox_id)
            logger.exception("telegram: update %s failed", update.update_id)
        finally:
            if release_slot:
                self._slots.release()

    async def _handle(self, incoming: Incoming, query: CallbackQuery | None) -> None:
        chat_id = incoming.chat_id
        private = incoming.chat_type == ChatType.PRIVATE
        acknowledged = (
            asyncio.create_task(acknowledge(self.bot, query, remove_keyboard=private))
            if query
            else None
        )
        typing = Typing(self, chat_id) if private else None
        try:
            if incoming.payload is not None and render.is_token(incoming.payload):
                incoming = await resolve_token(self.dispatcher, incoming)
            replies = await self.dispatcher.handle(incoming)
        finally:
            if typing is not None:
                await typing.stop()  # before the reply, or "typing…" would show after it
            if acknowledged is not None:
                await acknowledged
        await self._send_replies(chat_id, replies, incoming.thread_id)

    async def _send_replies(
        self, chat_id: str, replies: list[Reply], thread_id: str | None = None
    ) -> None:
        for reply in replies:
            for part in render.render(reply):
                if not await self.delivery.send_patiently(chat_id, part, thread_id):
                    return

    async def _resend(self, inbox_id: int, chat_id: str | None, replies: list[Reply]) -> None:
        """Replies stored before a crash, perhaps sent already: sent (again) after it."""
        try:
            if chat_id is not None:
                async with self._chat_locks.hold(chat_id):
                    await self._send_replies(chat_id, replies)
            await self.inbox.done(inbox_id)
        except Exception:
            logger.exception("telegram: stored replies could not be sent again")

    async def _ignore(self, update: Update) -> None:
        """Group messages, edits, service messages; a blocked bot is recorded."""
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        member = update.my_chat_member
        if member is not None and member.chat.type == TelegramChatType.PRIVATE:
            status = member.new_chat_member.status
            if status == ChatMemberStatus.BANNED:  # "kicked": the person blocked the bot
                await self._mark_blocked(str(member.chat.id))

    async def _mark_blocked(self, chat_id: str) -> None:
        async with self.app.transaction() as db:
            await mark_blocked(db, self.name, chat_id, self.app.clock.now())
        logger.info("telegram: marked unreachable chat=%s", mask_id(chat_id))
