"""Test helpers: a collecting fake channel and a small driver for conversations."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.channels.base import DeliveryError, OnWire, Sent, go_on_wire
from bot.dispatcher import Dispatcher
from bot.messages import Incoming, Reply


@dataclass
class FakeChannel:
    """Records what the outbox sends; `failures` are raised one per send, in order."""

    name: str = "fake"
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    failures: list[DeliveryError] = field(default_factory=list)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        await go_on_wire(on_wire)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((chat_id, reply))
        return Sent(str(len(self.sent)))


_ids = itertools.count(1)


@dataclass
class Chat:
    """One citizen talking to the dispatcher on a given channel."""

    dispatcher: Dispatcher
    chat_id: str = "citizen-1"
    channel: str = "fake"
    numbered_buttons: bool = False

    async def say(self, text: str, *, message_id: str | None = None) -> list[Reply]:
        return await self.dispatcher.handle(
            Incoming(
                channel=self.channel,
                chat_id=self.chat_id,
                user_id=self.chat_id,
                text=text,
                message_id=message_id or f"m{next(_ids)}",
                numbered_buttons=self.numbered_buttons,
            )
        )

    async def press(self, payload: str) -> list[Reply]:
        return await self.dispatcher.handle(
            Incoming(
                channel=self.channel,
                chat_id=self.chat_id,
                user_id=self.chat_id,
                payload=payload,
                message_id=f"m{next(_ids)}",
            )
        )

    async def send_kind(self, kind: str) -> list[Reply]:
        return await self.dispatcher.handle(
            Incoming(
                channel=self.channel,
                chat_id=self.chat_id,
                user_id=self.chat_id,
                kind=kind,
                message_id=f"m{next(_ids)}",
            )
        )


def payloads(replies: list[Reply]) -> list[str]:
    """Every button payload offered in these replies."""
    return [button.payload for reply in replies for button in reply.buttons]


def joined(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)
