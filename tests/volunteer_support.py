"""Helpers for the volunteer desk tests: a fake group desk for core tests, and the whole bot
with Telegram (the fake Bot API) and the web chat for end-to-end ones."""

from __future__ import annotations

import asyncio
import html
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.channels.base import GroupCheck, OnWire, Sent, go_on_wire
from bot.channels.telegram import TelegramTuning
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.messages import ChatType, Incoming, Reply
from bot.outbox import OutboxSender
from bot.runtime import Runtime, running
from handlers.volunteers.desk import refresh_check
from handlers.volunteers.jobs import run_desk
from storage import tickets
from storage.models import Ticket
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import TUNING, telegram_settings

DESK_CHAT = "-100777"
GROUP = -1009001
LAN, MINH, STRANGER = 810000001, 820000002, 830000003


@dataclass
class FakeDesk:
    """A channel with a group desk, recording what it is asked (core tests, no network)."""

    name: str = "fakedesk"
    sent: list[tuple[str, str | None, Reply]] = field(default_factory=list)
    edits: dict[str, Reply] = field(default_factory=dict)
    members: set[str] = field(default_factory=set)
    check: GroupCheck = field(default_factory=lambda: GroupCheck(True, topics=True))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(500))
    _checked: dict[str, GroupCheck] = field(default_factory=dict)

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
        self.sent.append((chat_id, thread_id, reply))
        return Sent(str(next(self._ids)))

    async def check_group(self, chat_id: str) -> GroupCheck:
        self._checked[chat_id] = self.check
        return self.check

    def last_check(self, chat_id: str) -> GroupCheck | None:
        return self._checked.get(chat_id)

    async def open_topic(self, chat_id: str, title: str) -> str:
        return str(next(self._ids))

    async def edit_message(self, chat_id: str, message_id: str, reply: Reply) -> None:
        self.edits[message_id] = reply

    async def is_member(self, chat_id: str, user_id: str) -> bool:
        return user_id in self.members

    def texts(self) -> list[str]:
        return [reply.text for _, _, reply in self.sent]


def desk_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update={"volunteer_chat_id": f"fakedesk:{DESK_CHAT}", **changes})


async def attach_desk(app: AppContext) -> FakeDesk:
    """Put a ready fake desk among the app's channels."""
    desk = FakeDesk()
    app.channels[desk.name] = desk
    await refresh_check(app, force=True)
    return desk


async def settle(app: AppContext) -> None:
    """What the runtime does in the background: the desk job, then the outbox sender."""
    await run_desk(app)
    await OutboxSender(app).send_due()


def group_message(
    text: str | None = None,
    *,
    user: str,
    thread_id: str | None = None,
    reply_to: str | None = None,
    payload: str | None = None,
    kind: str = "text",
    media_id: str | None = None,
    name: str = "Lan",
) -> Incoming:
    """A message or button tap in the fake desk's group."""
    return Incoming(
        channel="fakedesk",
        chat_id=DESK_CHAT,
        user_id=user,
        text=text,
        payload=payload,
        message_id=f"g{next(_group_ids)}",
        kind=kind,
        display_name=name,
        chat_type=ChatType.GROUP,
        thread_id=thread_id,
        reply_to_message_id=reply_to,
        media_id=media_id,
    )


_group_ids = itertools.count(1)


async def only_ticket(app: AppContext) -> Ticket:
    async with app.open_db() as db:
        [ticket] = await tickets.recent(db)
    return ticket


@asynccontextmanager
async def desk_bot(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    tuning: TelegramTuning = TUNING,
    **changes: Any,
) -> AsyncIterator[Runtime]:
    """The whole bot: Telegram against the fake (the volunteer group is GROUP) and the web."""
    changes = {"volunteer_chat_id": str(GROUP), **changes}
    configured = telegram_settings(settings, fake, **changes)
    async with running(configured, clock, telegram_tuning=tuning, knowledge=knowledge) as runtime:
        yield runtime


@dataclass
class WebCitizen:
    """A citizen on the web chat, through its public API."""

    http: aiohttp.ClientSession
    base: str
    session: str = ""

    async def say(self, text: str, **extra: str) -> list[dict[str, Any]]:
        return await self._post({"text": text, **extra})

    async def press(self, payload: str) -> list[dict[str, Any]]:
        return await self._post({"payload": payload})

    async def _post(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.http.post(
            f"{self.base}/api/chat", json={"session": self.session, **body}
        ) as response:
            assert response.status == 200, await response.text()
            data = await response.json()
        self.session = data["session"]
        return list(data["replies"])

    async def updates(self) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base}/api/updates", params={"session": self.session}
        ) as response:
            assert response.status == 200
            return list((await response.json())["replies"])


def payloads_of(replies: list[dict[str, Any]]) -> list[str]:
    return [button["payload"] for reply in replies for button in reply.get("buttons", [])]


def text_of(message: dict[str, Any]) -> str:
    return html.unescape(str(message.get("text") or message.get("caption") or ""))


def data_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def group_sent(fake: FakeTelegram) -> list[dict[str, Any]]:
    return fake.messages_to(GROUP)


def group_says(fake: FakeTelegram, needle: str) -> Callable[[], bool]:
    """A condition: some message to the group shows `needle`."""
    return lambda: any(needle in text_of(m) for m in group_sent(fake))


def edited_to(fake: FakeTelegram, message_id: int, needle: str) -> Callable[[], bool]:
    """A condition: the message was edited to show `needle` (text or buttons)."""
    return lambda: any(
        needle in html.unescape(c["text"]) + str(c.get("reply_markup"))
        for c in edits_of(fake, message_id)
    )


def arrived(needle: str) -> Callable[[list[dict[str, Any]]], bool]:
    return lambda got: any(needle in r["text"] for r in got)


def edits_of(fake: FakeTelegram, message_id: int) -> list[dict[str, Any]]:
    return [
        call
        for call in fake.calls_of("editMessageText", GROUP)
        if int(call["message_id"]) == message_id
    ]


async def wait_card(fake: FakeTelegram, ticket_id: int) -> dict[str, Any]:
    await fake.wait_for(
        lambda: any(f"Phiếu #{ticket_id} ·" in text_of(m) for m in group_sent(fake))
    )
    return next(m for m in group_sent(fake) if f"Phiếu #{ticket_id} ·" in text_of(m))


async def collect(
    citizen: WebCitizen, done: Callable[[list[dict[str, Any]]], bool], within: float = 10.0
) -> list[dict[str, Any]]:
    """Poll the page's mailbox, as the page does, until `done(what arrived so far)`."""
    got: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + within
    while True:
        got += await citizen.updates()
        if done(got):
            return got
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"not arrived: {got}")
        await asyncio.sleep(0.02)
