"""Sending to Telegram: rate limits, the global 429 pause, retries and error mapping.

Two policies share one gate:
- `send_patiently` (direct replies to a citizen's message): waits out 429s and retries
  timeouts/5xx a few times with backoff, then gives up loudly in the log;
- `send_once` (the outbox sender): one attempt, errors mapped to the DeliveryError subclasses
  so the outbox reschedules the row instead of blocking its loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from bot import metrics
from bot.channels import base
from bot.channels.base import RetryPolicy as RetryPolicy
from bot.channels.telegram_render import Part
from bot.privacy import mask_id
from bot.shared_budget import Budgets
from bot.turns import PriorityTurns

logger = logging.getLogger(__name__)

# Short bursts to one chat are tolerated (https://core.telegram.org/bots/faq), and a long
# answer split in two or three parts should not wait a second between its parts.
CHAT_BURST = 3
# The group window is counted a little longer than Telegram's: our clock starts at our send,
# Telegram's at arrival, and network delays can bunch messages up on the way.
GROUP_WINDOW_MARGIN = 1.05
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
GLOBAL_HEADROOM = 0.98
# Shared by several worker processes, a granted token waits for its own worker's event loop
# before the request leaves: sends spaced evenly in Redis arrive up to ~100 ms bunched.
SHARED_GLOBAL_HEADROOM = 0.9

OnBlocked = Callable[[str], Awaitable[None]]
T = TypeVar("T")


def retry_after_seconds(error: RetryAfter) -> float:
    """`retry_after` is an int or a timedelta depending on PTB_TIMEDELTA (PTB 22.2+)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


# Telegram's word that the person is gone for good; a transient 403 ("bot can't initiate
# conversation", "not enough rights") is not (https://core.telegram.org/api/errors#403-forbidden).
GONE = ("blocked by the user", "user is deactivated", "chat not found")


def is_blocked(error: TelegramError) -> bool:
    """Only "blocked by the user", a deactivated account or a chat that no longer exists
    end the sending to someone."""
    return any(reason in error.message.lower() for reason in GONE)


def delivery_error(error: TelegramError) -> base.DeliveryError:
    """Map a python-telegram-bot error to what the outbox sender understands."""
    if isinstance(error, RetryAfter):
        return base.RetryAfter(retry_after_seconds(error), str(error))
    if isinstance(error, Forbidden):
        if is_blocked(error):
            return base.RecipientUnreachable(error.message)
        return base.PermanentFailure(error.message)
    if isinstance(error, BadRequest):  # a subclass of NetworkError: test it first
        if is_blocked(error):  # "Bad Request: chat not found"
            return base.RecipientUnreachable(error.message)
        return base.PermanentFailure(error.message)
    if isinstance(error, NetworkError):  # timeouts, connection errors, 5xx
        return base.TemporaryFailure(error.message)
    return base.PermanentFailure(f"{type(error).__name__}: {error.message}")


def is_group(chat_id: str) -> bool:
    """Telegram gives groups and supergroups negative ids; people have positive ones."""
    return chat_id.startswith("-")


class SendGate:
    """About 30 messages/s overall, about 1/s per chat, 20 a minute into one group, and a
    global pause after a 429.

    Telegram asks to stop *all* sending for `retry_after` seconds after a 429
    (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
    A rate of 0 disables that limiter (a self-hosted Bot API server, benchmarks).
    """

    def __init__(
        self,
        per_second: float,
        per_chat_per_second: float,
        per_group: int = 0,
        group_window_seconds: float = 60.0,
        budgets: Budgets | None = None,
    ) -> None:
        # With Redis configured (bot/shared_budget.py) the limits and the 429 pause are
        # shared by every worker; otherwise they live in this process.
        self._budgets = budgets or Budgets()
        make = self._budgets
        # No burst overall, and a little headroom: Telegram counts what arrives in a second,
        # and requests spaced evenly here arrive a few milliseconds early or late.
        headroom = SHARED_GLOBAL_HEADROOM if make.shared else GLOBAL_HEADROOM
        self._global = (
            make.bucket("telegram:all", per_second * headroom, 1) if per_second > 0 else None
        )
        self._chats = (
            make.bucket("telegram:chat", per_chat_per_second, CHAT_BURST)
            if per_chat_per_second > 0
            else None
        )
        self._groups = (
            make.window("telegram:group", per_group, group_window_seconds * GROUP_WINDOW_MARGIN)
            if per_group > 0
            else None
        )
        self._global_turns = PriorityTurns()
        self._paused_until = 0.0

    @property
    def paused(self) -> bool:
        """Whether this process knows of a pause (the typing indicator asks)."""
        return time.monotonic() < self._paused_until

    async def pause(self, seconds: float) -> None:
        metrics.RATE_LIMITED.labels("telegram").inc()
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        await self._budgets.pause("telegram", seconds)

    async def wait_turn(self, chat_id: str, priority: int = 0) -> None:
        """Sleep until this chat, and the bot as a whole, may send one more message; the
        lowest `priority` number gets the next global token (replies before broadcasts)."""
        await self._wait_pause()
        # The chat token first: a refused acquire takes nothing, so waiting on the global
        # bucket afterwards does not cost the chat a second token.
        if self._chats is not None:
            await self._chats.wait(chat_id)
        if self._groups is not None and is_group(chat_id):
            await self._groups.wait(chat_id)
        if self._global is not None:
            # Turns: without them, sleepers race for each new token and some starve.
            async with self._global_turns.turn(priority):
                await self._global.wait("all")
        await self._wait_pause()

    async def _wait_pause(self) -> None:
        while True:  # another 429 (here or in another worker) may extend the pause
            left = max(
                self._paused_until - time.monotonic(), await self._budgets.paused_for("telegram")
            )
            if left <= 0:
                return
            await asyncio.sleep(left)


class Deliverer:
    """Sends rendered parts through the gate with the right retry policy."""

    def __init__(
        self, bot: Bot, gate: SendGate, on_blocked: OnBlocked, policy: RetryPolicy
    ) -> None:
        self.bot = bot
        self.gate = gate
        self.policy = policy
        self._on_blocked = on_blocked

    async def once(
        self,
        chat_id: str,
        request: Callable[[], Awaitable[T]],
        on_wire: base.OnWire | None = None,
        priority: int = 0,
    ) -> T:
        """One rate-limited request to a chat; a DeliveryError subclass when Telegram refuses.

        `on_wire` runs after the rate-limit wait, right before the request: a message
        waiting for its turn is not "on the wire" yet.
        """
        await self.gate.wait_turn(chat_id, priority)
        await base.go_on_wire(on_wire)
        try:
            return await request()
        except TelegramError as error:
            if isinstance(error, RetryAfter):
                await self.gate.pause(retry_after_seconds(error))
            raise delivery_error(error) from error

    async def send_once(
        self,
        chat_id: str,
        part: Part,
        on_wire: base.OnWire | None = None,
        thread_id: str | None = None,
        photo: str | None = None,
        priority: int = 0,
    ) -> str:
        """One attempt at one part (with `photo`, a file id, the part is its caption); the
        message id. `priority` orders the wait for the global budget (replies first)."""
        return await self.once(
            chat_id, lambda: self._send(chat_id, part, thread_id, photo), on_wire, priority
        )

    async def send_patiently(self, chat_id: str, part: Part, thread_id: str | None = None) -> bool:
        """Retry 429s, timeouts and 5xx; False (after logging) when it could not be sent."""
        where = f"chat={mask_id(chat_id)}"
        for attempt in range(1, self.policy.attempts + 1):
            await self.gate.wait_turn(chat_id)
            try:
                await self._send(chat_id, part, thread_id)
                return True
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                await self.gate.pause(seconds)
                logger.warning("telegram: 429, pausing all sends %.1fs %s", seconds, where)
                if seconds > self.policy.max_retry_after:
                    break
            except Forbidden as error:
                if is_blocked(error):
                    logger.info("telegram: blocked by the user %s", where)
                    await self._on_blocked(chat_id)
                else:
                    logger.warning("telegram: forbidden %s: %s", where, error.message)
                return False
            except BadRequest as error:
                logger.error("telegram: message refused %s: %s", where, error.message)
                return False
            except NetworkError as error:
                logger.warning(
                    "telegram: send attempt %d failed %s: %s", attempt, where, error.message
                )
                if attempt < self.policy.attempts:
                    await asyncio.sleep(self.policy.backoff_seconds * 2 ** (attempt - 1))
            except TelegramError as error:
                logger.error("telegram: send failed %s: %r", where, error)
                return False
        logger.error(
            "telegram: GAVE UP sending a reply after %d attempts %s", self.policy.attempts, where
        )
        return False

    async def _send(
        self, chat_id: str, part: Part, thread_id: str | None, photo: str | None = None
    ) -> str:
        if photo:
            sent = await self.bot.send_photo(
                chat_id,
                photo,
                caption=part.html or None,
                parse_mode=ParseMode.HTML,
                reply_markup=part.keyboard,
                message_thread_id=int(thread_id) if thread_id else None,
            )
            return str(sent.message_id)
        message = await self.bot.send_message(
            chat_id,
            part.html,
            parse_mode=ParseMode.HTML,
            reply_markup=part.keyboard,
            link_preview_options=NO_PREVIEW,
            message_thread_id=int(thread_id) if thread_id else None,
        )
        return str(message.message_id)
