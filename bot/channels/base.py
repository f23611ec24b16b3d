"""The Channel protocol, the GroupDesk protocol, and the delivery outcomes the outbox
sender understands."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.messages import Reply

# Called by a channel right before a message goes on the wire (after any rate-limit wait).
# False means "do not send": the message was withdrawn or another sender took it.
OnWire = Callable[[], Awaitable[bool]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard a direct reply (someone is waiting for it) tries; tests shrink the delays."""

    attempts: int = 4
    backoff_seconds: float = 0.5  # 0.5, 1, 2 s between attempts after a timeout or 5xx
    max_retry_after: float = 120.0  # a longer 429 pause is not waited out inline


@dataclass(frozen=True)
class Sent:
    """What the platform gave back for a delivered reply."""

    message_id: str | None = None  # the platform's id of the first message


class Channel(Protocol):
    """A way to reach people (Telegram, Zalo, web chat, console)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        """Deliver one reply; raise a DeliveryError subclass when it cannot.

        `priority` is the outbox row's (storage.outbox.Priority; 0 for a reply someone is
        waiting for): a channel short of quota may refuse bulk messages first (NotAllowed).
        """


@dataclass(frozen=True)
class GroupCheck:
    """What the platform says about the bot in a group chat that is to be a volunteer desk."""

    ready: bool  # the bot can read the group, post in it and edit its own messages
    topics: bool = False  # the group has topics (threads) and the bot may open them
    problem: str = ""  # why it is not ready, for the log (English); empty when ready
    title: str = ""
    checked: float = field(default_factory=time.monotonic)  # when (time.monotonic())


@runtime_checkable
class GroupDesk(Protocol):
    """What a volunteer desk in a group chat needs beyond `Channel.send`.

    A channel whose platform has group chats implements it (Telegram); a feature finds it
    with `isinstance(app.channels[name], GroupDesk)`. Sends to the group (tickets, relays)
    still go through the outbox and `Channel.send`, with the topic as `thread_id`.
    """

    async def check_group(self, chat_id: str) -> GroupCheck:
        """Ask the platform whether the bot can run a desk in this group; remembered."""

    def last_check(self, chat_id: str) -> GroupCheck | None:
        """The result of the last `check_group` of this group; None before the first."""

    async def open_topic(self, chat_id: str, title: str) -> str:
        """Create a topic in the group and return its thread id; raises a DeliveryError."""

    async def edit_message(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Replace the text and buttons of a message the bot sent; raises a DeliveryError."""

    async def is_member(self, chat_id: str, user_id: str) -> bool:
        """Whether this person belongs to the group (only members may claim and answer)."""


async def go_on_wire(on_wire: OnWire | None) -> None:
    """Channels call this just before the first byte leaves; raises Withdrawn if told to."""
    if on_wire is not None and not await on_wire():
        raise Withdrawn("withdrawn before sending")


class DeliveryError(Exception):
    """Base of the errors a channel's send raises."""


class Withdrawn(DeliveryError):
    """Nothing was sent: the row was cancelled or leased to another sender meanwhile."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait (HTTP 429 retry_after)."""

    def __init__(self, seconds: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.seconds = seconds


class TemporaryFailure(DeliveryError):
    """Timeout, network error or 5xx: worth retrying with backoff."""


class RecipientUnreachable(DeliveryError):
    """The person blocked the bot or deleted the chat: stop messaging them."""


class NotAllowed(DeliveryError):
    """The channel may not send this now (outside a messaging window, quota used up):
    recorded as skipped with the reason, never retried."""


class PermanentFailure(DeliveryError):
    """Anything else the platform refused; retrying will not help."""
