"""The Channel protocol and the delivery errors the outbox sender understands."""

from __future__ import annotations

from typing import Protocol

from bot.messages import Reply


class Channel(Protocol):
    """A way to reach citizens (Telegram, Zalo, web chat, console)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, chat_id: str, reply: Reply) -> None:
        """Deliver one reply; raise a DeliveryError subclass when it cannot."""


class DeliveryError(Exception):
    """Base of the errors a channel's send raises."""


class RetryAfter(DeliveryError):
    """The platform asked us to wait (HTTP 429 retry_after)."""

    def __init__(self, seconds: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.seconds = seconds


class TemporaryFailure(DeliveryError):
    """Timeout, network error or 5xx: worth retrying with backoff."""


class RecipientUnreachable(DeliveryError):
    """The person blocked the bot or deleted the chat: stop messaging them."""


class PermanentFailure(DeliveryError):
    """Anything else the platform refused; retrying will not help."""
