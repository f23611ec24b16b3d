"""What both Zalo channels share: the inbox, one chat at a time, events -> Incoming, sending.

As on Telegram (bot/channels/telegram.py), every event is stored in the inbox before it is
acknowledged (webhook 200, or the next getUpdates), handled in a tracked background task
one chat at a time, and what a stop interrupted is handled after the restart. The two
surfaces differ in transport, rendering and what limits a send (the OA's 7-day window,
the Zalo Bot's monthly plan): the subclasses provide those.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Generic, TypeVar

from bot.channels.base import DeliveryError, OnWire, RetryPolicy, Sent, go_on_wire
from bot.channels.zalo.delivery import send_patiently
from bot.channels.zalo.inbound import EventKind, InboundEvent, MalformedEvent
from bot.channels.zalo.render import MAX_TITLE_CHARS, resolve_tap
from bot.channels.zalo.tokens import TokenPolicy
from bot.channels.zalo.webhook_auth import RECOMMENDED_STALE_WINDOW
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.inbox import Inbox
from bot.locks import KeyedLocks
from bot.messages import Incoming, Reply
from bot.privacy import mask_id
from bot.tasks import TrackedTasks
from storage.conversations import mark_blocked
from storage.dedupe import storable_key
from storage.inbox import Received
from storage.outbox import Priority

logger = logging.getLogger(__name__)

Part = TypeVar("Part")  # one rendered message: an OA message object, or a Zalo Bot text
MAX_CHAT_ID_CHARS = 64  # the chat_id columns (conversations, outbox, inbox)

# What the core gets for each kind of citizen message; follow greets as /start does.
_KINDS = {
    EventKind.TEXT: "text",
    EventKind.FOLLOW: "text",
    EventKind.IMAGE: "photo",
    EventKind.STICKER: "sticker",
    EventKind.OTHER: "other",
}
START_COMMAND = "/start"


@dataclass(frozen=True)
class ZaloTuning:
    """Timeouts, retries and limits of both Zalo channels; tests shrink them."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    request_timeout_seconds: float = 10.0
    poll_timeout: int = 30  # seconds one getUpdates waits for an update
    # No faster than one getUpdates a second (S2); a long poll that waited counts.
    poll_interval_seconds: float = 1.0
    poll_backoff_seconds: float = 1.0  # after a failed getUpdates (doubles up to 30 s)
    max_webhook_body_bytes: int = 65_536  # events are a few hundred bytes
    max_pending_webhook_updates: int = 1000  # beyond this the webhook answers 503
    # The OA retries an event for about 2 h (O4, O5 §13.2); older ones are replays.
    stale_after: timedelta = RECOMMENDED_STALE_WINDOW
    token_policy: TokenPolicy = field(default_factory=TokenPolicy)
    # How often the OA token is checked (and refreshed ahead of expiry) while nothing is
    # sent: an idle bot would otherwise let the 3-month refresh token lapse.
    token_check_seconds: float = 3600.0
    users_check_seconds: float = 3600.0  # how often the Zalo Bot's users are counted
    shutdown_grace_seconds: float = 10.0


class ZaloChannel(ABC, Generic[Part]):
    """The inbox-backed handling loop; a subclass adds its transport and its sending."""

    name: str

    def __init__(
        self,
        app: AppContext,
        dispatcher: Dispatcher,
        tuning: ZaloTuning | None,
        rate_per_second: float = 0.0,
    ) -> None:
        self.app = app
        self.dispatcher = dispatcher
        self.tuning = tuning or ZaloTuning()
        # Every send of this process waits its turn (0: no pacing).
        rate = rate_per_second
        self._pace = (
            app.budgets.bucket(f"{self.name}:all", rate, max(rate, 1.0)) if rate > 0 else None
        )
        self.inbox = Inbox(app, self.name)
        self._tasks = TrackedTasks(self.name)
        self._chat_locks = KeyedLocks()
        self._accepting = False

    @property
    def in_flight(self) -> int:
        """Events taken but not finished (tests wait for 0; a stop waits for them)."""
        return len(self._tasks)

    # --- what each surface provides ----------------------------------------------------------

    @abstractmethod
    def parse(self, payload: Mapping[str, Any]) -> InboundEvent: ...

    @abstractmethod
    def render(self, reply: Reply, first_number: int) -> list[Part]: ...

    @abstractmethod
    async def deliver(self, chat_id: str, part: Part) -> str | None:
        """Send one part, one attempt; the platform's message id. Raises DeliveryError."""

    async def admit(self, chat_id: str, messages: int, priority: int) -> object:
        """Before a reply goes out: raise a DeliveryError if it may not (window, quota);
        what is returned is handed to `refused` if the platform then refuses it."""
        return None

    async def refused(self, admission: object, error: DeliveryError) -> None:
        """The first part of an outbox message was not sent (see `admit`)."""

    # --- receiving ---------------------------------------------------------------------------

    def check(self, event: InboundEvent) -> None:
        """MalformedEvent for an event the tables cannot hold (ids are short in practice)."""
        for value in (event.chat_id, event.sender_id):
            if value is not None and len(value) > MAX_CHAT_ID_CHARS:
                raise MalformedEvent("id too long")

    @property
    def busy(self) -> bool:
        """The webhook answers 503 (the platform delivers again later)."""
        return not self._accepting or len(self._tasks) >= self.tuning.max_pending_webhook_updates

    async def take(self, event: InboundEvent, payload: Mapping[str, Any]) -> None:
        """Store an event (a re-delivery is dropped here), then handle it in the background."""
        if event.kind is EventKind.UNKNOWN or event.is_group:
            # Echoes, "seen", new event types; groups only deliver mentions (S2).
            who = mask_id(event.sender_id or "")
            logger.info("%s: event %r ignored from %s", self.name, event.event_name[:40], who)
            return
        key = event.dedupe_key or "body:" + hashlib.sha256(_canonical(payload)).hexdigest()
        received = Received(storable_key(key), event.chat_id, dict(payload))
        (inbox_id,) = await self.inbox.store([received])
        if inbox_id is None:
            who = mask_id(event.chat_id or "")
            logger.info("%s: re-delivered event skipped chat=%s", self.name, who)
            return
        self._tasks.spawn(self._process(inbox_id, dict(payload)))

    async def resume(self) -> None:
        """Handle what the last run stored and did not finish, in arrival order."""
        found = await self.inbox.resume()
        for inbox_id, payload in found.to_handle:
            self._tasks.spawn(self._process(inbox_id, payload))
        for inbox_id, chat_id, replies in found.to_resend:
            self._tasks.spawn(self._resend(inbox_id, chat_id, replies))

    async def finish(self) -> None:
        """Stop taking events and finish (or, after the grace, cancel) the ones taken."""
        self._accepting = False
        await self._tasks.finish(self.tuning.shutdown_grace_seconds)

    async def _process(self, inbox_id: int, payload: Mapping[str, Any]) -> None:
        try:
            event = self.parse(payload)
            incoming = _incoming(self.name, event, inbox_id)
            if incoming is None:
                if event.kind is EventKind.UNFOLLOW and event.chat_id is not None:
                    await self.mark_left(event.chat_id)
                await self.inbox.done(inbox_id)
                return
            # Tasks start in arrival order and the lock is FIFO: each chat keeps its order.
            async with self._chat_locks.hold(incoming.chat_id):
                await self.inbox.wait_for_earlier(inbox_id, incoming.chat_id)
                replies = await self.dispatcher.handle(await self._pressed(incoming))
                await self._send_replies(incoming.chat_id, replies)
                await self.inbox.done(inbox_id)
        except Exception:
            self.inbox.failed(inbox_id)
            logger.exception("%s: stored event %d failed", self.name, inbox_id)

    async def _pressed(self, incoming: Incoming) -> Incoming:
        """A text that is exactly a button shown last in this chat presses that button
        (a tapped OA query button sends its title back, render.py)."""
        text = incoming.text or ""
        if incoming.kind != "text" or not text or len(text) > MAX_TITLE_CHARS:
            return incoming
        shown = await self.dispatcher.last_buttons(self.name, incoming.chat_id)
        payload = resolve_tap(text, shown)
        return incoming if payload is None else replace(incoming, text=None, payload=payload)

    async def mark_left(self, chat_id: str) -> None:
        """The person unfollowed or blocked us: reminders and announcements stop."""
        async with self.app.transaction() as db:
            await mark_blocked(db, self.name, chat_id, self.app.clock.now())
        logger.info("%s: marked unreachable chat=%s", self.name, mask_id(chat_id))

    # --- sending -----------------------------------------------------------------------------

    async def _send_replies(self, chat_id: str, replies: list[Reply]) -> None:
        """A turn's replies, in order; numbers continue across them as the dispatcher
        remembers the turn's buttons as one list."""
        where = f"{self.name}: reply to {mask_id(chat_id)}"
        number = 1
        for reply in replies:
            parts = self.render(reply, number)
            number += len(reply.buttons)
            try:
                await self.admit(chat_id, len(parts), Priority.REPLY)
            except DeliveryError as error:
                logger.warning("%s: not sent: %s", where, error)
                return
            for part in parts:
                attempt = functools.partial(self._paced, chat_id, part)
                left = functools.partial(self.mark_left, chat_id)
                if not await send_patiently(attempt, self.tuning.retry, where, left):
                    return

    async def _resend(self, inbox_id: int, chat_id: str | None, replies: list[Reply]) -> None:
        """Replies stored before a stop, perhaps sent already: sent (again) after it."""
        try:
            if chat_id is not None:
                async with self._chat_locks.hold(chat_id):
                    await self._send_replies(chat_id, replies)
            await self.inbox.done(inbox_id)
        except Exception:
            logger.exception("%s: stored replies could not be sent again", self.name)

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        """Outbox delivery: one attempt for the first part, errors raised for the outbox;
        later parts are retried here (rescheduling would send the first one twice)."""
        first, *rest = self.render(reply, 1)
        admission = await self.admit(chat_id, 1 + len(rest), priority)
        try:
            await self._wait_turn()
            await go_on_wire(on_wire)
            message_id = await self.deliver(chat_id, first)
        except DeliveryError as error:
            await self.refused(admission, error)
            raise
        where = f"{self.name}: outbox part to {mask_id(chat_id)}"
        for part in rest:
            attempt = functools.partial(self._paced, chat_id, part)
            left = functools.partial(self.mark_left, chat_id)
            if not await send_patiently(attempt, self.tuning.retry, where, left):
                break
        if reply.buttons:
            await self.dispatcher.show_buttons(self.name, chat_id, reply.buttons)
        return Sent(message_id)

    async def _paced(self, chat_id: str, part: Part) -> str | None:
        await self._wait_turn()
        return await self.deliver(chat_id, part)

    async def _wait_turn(self) -> None:
        if self._pace is not None:
            await self._pace.wait("all")


def _incoming(channel: str, event: InboundEvent, inbox_id: int) -> Incoming | None:
    """The core's view of a citizen's event; None for what needs no answer."""
    kind = _KINDS.get(event.kind)
    if kind is None or event.chat_id is None or event.is_group:
        return None  # unfollow; unknown events and groups are not even stored
    key = event.dedupe_key
    return Incoming(
        channel=channel,
        chat_id=event.chat_id,
        user_id=event.sender_id or event.chat_id,
        text=START_COMMAND if event.kind is EventKind.FOLLOW else event.text,
        kind=kind,
        message_id=storable_key(key) if key is not None else f"inbox:{inbox_id}",
        display_name=event.display_name,
        numbered_buttons=True,
        inbox_id=inbox_id,
        media_id=event.media_url,
    )


def _canonical(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8", "replace")
