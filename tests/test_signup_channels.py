"""Booking, viewing and cancelling a seat on the real channels: Telegram and the web chat API."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.runtime import Runtime, running
from storage.models import SignupStatus
from tests.fake_telegram import FakeTelegram
from tests.signup_support import add_sessions, rows, spec
from tests.test_telegram import TUNING, telegram_settings

CODE = re.compile(r"Mã đăng ký: ([A-Z0-9]{6})")
CITIZEN = 730000003


def text_of(message: dict[str, Any]) -> str:
    return html.unescape(str(message["text"]))


def data_of(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row]


@pytest.fixture
async def telegram_bot(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[tuple[Runtime, FakeTelegram]]:
    async with (
        FakeTelegram() as fake,
        running(
            telegram_settings(settings, fake),
            clock,
            serve_web=False,
            telegram_tuning=TUNING,
            knowledge=knowledge,
        ) as runtime,
    ):
        yield runtime, fake


async def test_book_view_and_cancel_on_telegram(
    telegram_bot: tuple[Runtime, FakeTelegram],
) -> None:
    runtime, fake = telegram_bot
    ids = await add_sessions(runtime.app, spec("ba-to", capacity=3, commune="Xã Ba Tơ"))
    seen = 0

    async def next_message() -> dict[str, Any]:
        nonlocal seen
        messages = await fake.wait_messages(CITIZEN, seen + 1)
        seen = len(messages)
        return messages[-1]

    async def tap(message: dict[str, Any], data: str) -> dict[str, Any]:
        assert data in data_of(message), (data, data_of(message))
        fake.callback(CITIZEN, data, message_id=message["message_id"])
        return await next_message()

    fake.message(CITIZEN, "/start dangky")
    listing = await next_message()
    assert "còn 3 chỗ" in text_of(listing)
    consent = await tap(listing, f"signup:pick:{ids['ba-to']}")
    ask_name = await tap(consent, "signup:consent:yes")
    assert "họ và tên" in text_of(ask_name)
    fake.message(CITIZEN, "Trần Văn Bảy")
    await next_message()
    fake.message(CITIZEN, "+84 912 345 678")
    need = await next_message()
    summary = await tap(need, "signup:need:0")
    assert "0912345678" in text_of(summary) or "0912 345 678" in text_of(summary)
    done = await tap(summary, "signup:confirm")
    match = CODE.search(text_of(done))
    assert match is not None, text_of(done)
    code = match.group(1)

    fake.message(CITIZEN, "/cuatoi")
    assert code in text_of(await next_message())
    fake.message(CITIZEN, f"hủy {code}")
    cancelled = await next_message()
    assert "hủy" in text_of(cancelled).lower()
    [row] = await rows(runtime.app)
    assert (row.channel, row.chat_id, row.status) == (
        "telegram",
        str(CITIZEN),
        SignupStatus.CANCELLED,
    )


async def test_book_view_and_cancel_on_the_web_chat(
    web_client: TestClient, app: AppContext
) -> None:
    web = web_client
    ids = await add_sessions(app, spec("ly-son", capacity=2, commune="Đặc khu Lý Sơn"))
    session = ""

    async def send(**body: str) -> list[dict[str, Any]]:
        nonlocal session
        response = await web.post("/api/chat", json={"session": session, **body})
        assert response.status == 200
        data = await response.json()
        session = data["session"]
        return list(data["replies"])

    def payloads(replies: list[dict[str, Any]]) -> list[str]:
        return [b["payload"] for r in replies for b in r["buttons"]]

    replies = await send(text="đăng ký buổi hỗ trợ")
    assert f"signup:pick:{ids['ly-son']}" in payloads(replies)
    await send(payload=f"signup:pick:{ids['ly-son']}")
    await send(payload="signup:consent:yes")
    await send(text="Phạm Thị Hoa")
    await send(text="0905 123 456")
    await send(payload="signup:need:0")
    replies = await send(payload="signup:confirm")
    match = CODE.search("\n".join(r["text"] for r in replies))
    assert match is not None
    mine = await send(payload="signup:mine")
    assert match.group(1) in "\n".join(r["text"] for r in mine)
    drop = next(p for p in payloads(mine) if p.startswith("signup:drop:"))
    confirm = await send(payload=drop)
    ok = next(p for p in payloads(confirm) if p.startswith("signup:dropok:"))
    await send(payload=ok)
    [row] = await rows(app)
    assert (row.channel, row.status) == ("web", SignupStatus.CANCELLED)
