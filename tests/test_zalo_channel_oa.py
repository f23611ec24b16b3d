"""Zalo OA end to end: the whole bot, its signed webhook and CS messages, against the fake OA."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from bot.messages import Reply
from bot.turn import Turn
from handlers import texts
from storage import inbox
from storage.conversations import is_blocked
from storage.models import SignupStatus
from tests.fake_zalo import OA_ID
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
    # "My data" shows the booking, and deleting it (a tap to confirm) removes it.
    mydata = await oa_bot.say(CITIZEN, "/dulieu")
    assert "Trần Văn Bảy" in text_of(mydata) and match.group(1) in text_of(mydata)
    await oa_bot.say(CITIZEN, "/xoadulieu")
    await tap(oa_bot, "mydata:confirm")
    assert await rows(app) == []


async def inbox_size(oa_bot: OaHarness) -> int:
    async with oa_bot.runtime.app.open_db() as db:
        return sum((await inbox.counts(db)).values())


async def test_forged_stale_and_malformed_events_are_refused(
    oa_bot: OaHarness, clock: ManualClock
) -> None:
    oa = oa_bot.oa
    unsigned = oa.text_event(CITIZEN, "xin chào")
    unsigned.headers.pop("X-ZEvent-Signature")
    assert await oa_bot.post(unsigned) == 401
    assert await oa_bot.post(oa.text_event(CITIZEN, "xin chào", secret="guessed")) == 403
    stale = oa.text_event(CITIZEN, "xin chào", at=clock.now() - timedelta(hours=3))
    assert await oa_bot.post(stale) == 403
    future = oa.text_event(CITIZEN, "xin chào", at=clock.now() + timedelta(hours=3))
    assert await oa_bot.post(future) == 403
    assert await oa_bot.post(oa.sign({"event_name": "user_send_text", "app_id": "x"})) == 400
    huge = oa.text_event(CITIZEN, "x" * 70_000)
    assert await oa_bot.post(huge) == 413
    assert await inbox_size(oa_bot) == 0 and oa.messages_to(CITIZEN) == []


async def test_a_duplicate_msg_id_is_handled_once(oa_bot: OaHarness) -> None:
    event = oa_bot.oa.text_event(CITIZEN, "/start")
    await oa_bot.next_after(CITIZEN, event)
    assert await oa_bot.post(event.retried(1)) == 200  # acknowledged, so Zalo stops retrying
    again = oa_bot.oa.text_event(CITIZEN, "/start", msg_id=event.json()["message"]["msg_id"])
    assert await oa_bot.post(again) == 200
    await oa_bot.say(CITIZEN, "/help")  # handled after any duplicate would have been
    assert len(oa_bot.oa.messages_to(CITIZEN)) == 2


@SQLITE_ONLY
async def test_variants_the_sources_disagree_on_are_accepted(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with oa_running(settings, clock, knowledge, zalo_oa_id=OA_ID) as oa_bot:
        oa = oa_bot.oa
        for event in (
            oa.text_event(CITIZEN, "/start", sign_with="oa_id"),
            oa.text_event(CITIZEN, "/help", timestamp_in="header"),
            oa.text_event(CITIZEN, "/menu", msg_id_key="mid", mac_prefix=False),
            oa.text_event(CITIZEN, "/start", event_name="user_click_button"),
        ):
            await oa_bot.next_after(CITIZEN, event)
        assert len(oa.messages_to(CITIZEN)) == 4


@SQLITE_ONLY
async def test_unknown_events_are_ignored_and_images_carry_their_url(
    oa_bot: OaHarness,
) -> None:
    seen: list[tuple[str, str | None]] = []

    async def unsupported(turn: Turn) -> list[Reply]:
        seen.append((turn.incoming.kind, turn.incoming.media_id))
        return [Reply("ok")]

    oa_bot.runtime.dispatcher.router.unsupported(unsupported)
    assert await oa_bot.post(oa_bot.oa.unknown_event(CITIZEN)) == 200
    await oa_bot.next_after(CITIZEN, oa_bot.oa.image_event(CITIZEN, "https://photo.example/a.jpg"))
    assert seen == [("photo", "https://photo.example/a.jpg")]
    assert await inbox_size(oa_bot) == 1  # the unknown event was not even stored


async def test_unfollow_marks_the_citizen_unreachable(oa_bot: OaHarness) -> None:
    await oa_bot.say(CITIZEN, "/start")
    assert await oa_bot.post(oa_bot.oa.unfollow_event(CITIZEN)) == 200
    await oa_bot.settled()
    async with oa_bot.runtime.app.open_db() as db:
        assert await is_blocked(db, "zalo_oa", CITIZEN)
    await oa_bot.next_after(CITIZEN, oa_bot.oa.follow_event(CITIZEN))  # back: greeted
    async with oa_bot.runtime.app.open_db() as db:
        assert not await is_blocked(db, "zalo_oa", CITIZEN)
