"""The volunteer desk end to end: the real python-telegram-bot stack against the fake Bot API
(a volunteer group with or without topics, several volunteers), citizens on the web chat
(through its API) and on Telegram."""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from storage.models import TicketOutcome, TicketRating, TicketStatus
from tests.fake_telegram import FakeTelegram
from tests.volunteer_support import (
    GROUP,
    LAN,
    MINH,
    WebCitizen,
    desk_bot,
    only_ticket,
    payloads_of,
)

CITIZEN = 740000004


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def text_of(message: dict[str, Any]) -> str:
    return html.unescape(str(message.get("text") or message.get("caption") or ""))


def data_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


def group_sent(fake: FakeTelegram) -> list[dict[str, Any]]:
    return fake.messages_to(GROUP)


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


async def test_web_citizen_reaches_a_volunteer_and_back(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    http: aiohttp.ClientSession,
) -> None:
    fake.add_group(GROUP, forum=True, members={LAN: "Lan", MINH: "Minh"})
    async with desk_bot(settings, clock, knowledge, fake) as runtime:
        citizen = WebCitizen(http, f"http://127.0.0.1:{runtime.web_port}")
        [warning] = await citizen.say("cho tôi gặp người thật")
        assert "người thật" in warning["text"]
        assert "căn cước" in warning["text"] and "OTP" in warning["text"]
        [opened] = await citizen.say("Tôi đăng nhập VNeID cứ báo sai mật khẩu, phải làm sao?")
        assert "phiếu số 1" in opened["text"] and "07:30" in opened["text"]

        card = await wait_card(fake, 1)
        [topic] = fake.groups[str(GROUP)].topics
        assert int(card["message_thread_id"]) == topic
        assert "sai mật khẩu" in text_of(card) and "trang web" in text_of(card)
        assert data_of(card) == ["desk:claim:1"]
        # While it waits, more from the citizen goes to the topic, and the bot is silent.
        assert await citizen.say("Điện thoại của tôi là Android") == []
        await fake.wait_for(lambda: any("Android" in text_of(m) for m in group_sent(fake)))

        # Two volunteers race for it: one wins, the other's tap changes nothing.
        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=MINH, first_name="Minh"
        )
        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=LAN, first_name="Lan"
        )
        await fake.wait_for(
            lambda: any("đang hỗ trợ" in c["text"] for c in edits_of(fake, card["message_id"]))
        )
        edited = edits_of(fake, card["message_id"])[-1]
        assert "Minh đang hỗ trợ" in html.unescape(edited["text"])
        assert "desk:claim:1" not in str(edited.get("reply_markup"))
        assert (await only_ticket(runtime.app)).volunteer_name == "Minh"

        # Lan's word in the topic stays in the group; Minh's answer reaches the citizen.
        fake.message(GROUP, "Minh trả lời nhé", user_id=LAN, first_name="Lan", thread_id=topic)
        fake.message(
            GROUP,
            "Bác bấm “Quên mật khẩu” rồi làm theo hướng dẫn ạ.",
            user_id=MINH,
            first_name="Minh Trần",
            thread_id=topic,
        )
        replies = await _collect(
            citizen, lambda got: any("Quên mật khẩu" in r["text"] for r in got)
        )
        texts = [r["text"] for r in replies]
        assert any("Tình nguyện viên Minh đã nhận" in t for t in texts)
        answer = next(t for t in texts if "Quên mật khẩu" in t)
        assert answer.startswith("💬 Minh (tình nguyện viên)") and "Trần" not in answer
        assert not any("Minh trả lời nhé" in t for t in texts)

        # The update delivered again (the bot restarted before confirming it) relays once.
        fake.rewind()
        fake.message(
            GROUP, "Bác thử lại giúp cháu nhé", user_id=MINH, first_name="Minh", thread_id=topic
        )
        more = await _collect(citizen, lambda got: any("thử lại" in r["text"] for r in got))
        assert not any("Quên mật khẩu" in r["text"] for r in more)

        [ended] = await citizen.say("kết thúc")
        assert "kết thúc" in ended["text"]
        assert "volunteer:rate:1:yes" in payloads_of([ended])
        await fake.wait_for(
            lambda: any("đã kết thúc trò chuyện" in text_of(m) for m in group_sent(fake))
        )
        [thanks] = await citizen.press("volunteer:rate:1:yes")
        assert "Cảm ơn" in thanks["text"]
        ticket = await only_ticket(runtime.app)
        assert (ticket.status, ticket.outcome, ticket.rating) == (
            TicketStatus.CLOSED,
            TicketOutcome.ENDED,
            TicketRating.HELPFUL,
        )
        # Back with the bot: a question gets the FAQ's answer.
        [answer_reply] = await citizen.say("quên mật khẩu vneid")
        assert "VNeID" in answer_reply["text"]


async def _collect(
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
