"""The Channel protocol and the delivery outcomes the outbox sender understands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

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
