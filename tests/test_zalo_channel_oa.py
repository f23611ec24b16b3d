"""Zalo OA end to end: the whole bot, its signed webhook and CS messages, against the fake OA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from handlers import texts
from storage.models import SignupStatus
from tests.signup_support import add_sessions, rows, spec
from tests.test_signup_channels import CODE
from tests.zalo_support import OaHarness, oa_running

CITIZEN = "6142494823000000001"
SQLITE_ONLY = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.fixture
async def oa_bot(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[OaHarness]:
    async with oa_running(settings, clock, knowledge) as harness:
        yield harness


def titles(message: dict[str, Any]) -> list[str]:
    payload = message["message"].get("attachment", {}).get("payload", {})
    return [button["title"] for button in payload.get("buttons", [])]


def text_of(message: dict[str, Any]) -> str:
    return str(message["message"]["text"])


async def test_a_question_is_answered(oa_bot: OaHarness) -> None:
    app = oa_bot.runtime.app
    entry = next(e for e in app.knowledge.entries if app.matcher.match(e.questions[0]).entry == e)
    answer = await oa_bot.say(CITIZEN, entry.questions[0])
    assert entry.answer.strip()[:40] in text_of(answer)


async def test_follow_greets_and_sticker_gets_the_polite_reply(oa_bot: OaHarness) -> None:
    greeting = await oa_bot.next_after(CITIZEN, oa_bot.oa.follow_event(CITIZEN))
    assert text_of(greeting).startswith(texts.welcome().text[:30])
    reply = await oa_bot.next_after(CITIZEN, oa_bot.oa.sticker_event(CITIZEN))
    assert text_of(reply) == texts.unsupported_message().text


async def tap(oa_bot: OaHarness, payload_prefix: str) -> dict[str, Any]:
    """Tap, on the last message, the query button that stands for this payload."""
    shown = await oa_bot.runtime.dispatcher.last_buttons("zalo_oa", CITIZEN)
    label = next(b.label for b in shown if b.payload.startswith(payload_prefix))
    last = oa_bot.oa.messages_to(CITIZEN)[-1]
    assert label in titles(last), (label, titles(last))
    return await oa_bot.next_after(CITIZEN, oa_bot.oa.tap(CITIZEN, label))


async def test_a_full_sign_up_by_buttons(oa_bot: OaHarness) -> None:
    app = oa_bot.runtime.app
    ids = await add_sessions(app, spec("ba-to", capacity=3, commune="Xã Ba Tơ"))
    listing = await oa_bot.say(CITIZEN, "đăng ký buổi hỗ trợ")
    assert "còn 3 chỗ" in text_of(listing)
    consent = await tap(oa_bot, f"signup:pick:{ids['ba-to']}")
    assert titles(consent)
    ask_name = await tap(oa_bot, "signup:consent:yes")
    assert "họ và tên" in text_of(ask_name)
    await oa_bot.say(CITIZEN, "Trần Văn Bảy")
    need = await oa_bot.say(CITIZEN, "0912 345 678")
    assert titles(need)[0] == "Cài đặt, kích hoạt VNeID"
    summary = await tap(oa_bot, "signup:need:0")
    assert "0912" in text_of(summary)
    done = await tap(oa_bot, "signup:confirm")
    match = CODE.search(text_of(done))
    assert match is not None, text_of(done)
    [row] = await rows(app)
    assert (row.channel, row.chat_id, row.status, row.code) == (
        "zalo_oa",
        CITIZEN,
        SignupStatus.CONFIRMED,
        match.group(1),
    )
    mine = await oa_bot.say(CITIZEN, "/cuatoi")
    assert match.group(1) in text_of(mine)
