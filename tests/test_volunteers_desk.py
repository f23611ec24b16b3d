"""The volunteer group as the bot finds it at start-up, and Telegram's limit of 20 messages a
minute per group, against the fake Bot API."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from storage import tickets
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.test_telegram import TUNING
from tests.volunteer_support import GROUP, LAN, WebCitizen, desk_bot, group_sent, text_of

SQLITE_ONLY = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("group", "configured", "said"),
    [
        (None, False, "volunteer desk OFF: VOLUNTEER_CHAT_ID is not set"),
        (None, True, "the group was not found"),
        ({"bot_status": "left"}, True, "the bot is not in the group"),
        ({"bot_status": "member"}, True, "the bot is not an administrator"),
        ({"forum": True, "can_manage_topics": False}, True, "without the topics right"),
    ],
)
async def test_start_up_says_what_is_wrong_and_citizens_get_no_ticket(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    group: dict[str, Any] | None,
    configured: bool,
    said: str,
) -> None:
    if group is not None:
        fake.add_group(GROUP, **group)
    extra: dict[str, Any] = {} if configured else {"volunteer_chat_id": ""}
    async with (
        aiohttp.ClientSession() as http,
        desk_bot(settings, clock, knowledge, fake, **extra) as runtime,
    ):
        assert said in caplog.text
        citizen = WebCitizen(http, f"http://127.0.0.1:{runtime.web_port}")
        [reply] = await citizen.press("volunteer:start")
        assert "chưa kết nối được với tình nguyện viên" in reply["text"]
        assert "1900.0368" in reply["text"]
        [fallback] = await citizen.say("giá vé tàu ra Lý Sơn hôm nay bao nhiêu")
        offered = [b["payload"] for b in fallback["buttons"]]
        # The FAQ offers volunteers only where they are configured; the desk then says no.
        assert ("volunteer:start" in offered) == configured
        async with runtime.app.open_db() as db:
            assert await tickets.recent(db) == []


@SQLITE_ONLY
async def test_a_ready_group_is_said_so_and_a_fixed_one_is_found_again(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.volunteers")
    group = fake.add_group(GROUP, bot_status="member")
    async with aiohttp.ClientSession() as http, desk_bot(settings, clock, knowledge, fake) as bot:
        assert "NOT READY" in caplog.text
        group.bot_status = "administrator"  # an organizer fixes it; the desk job sees it
        bot.app.wake("volunteer-desk")
        await fake.wait_for(lambda: "volunteer desk ready" in caplog.text)
        assert "tickets as messages, replies thread" in caplog.text
        citizen = WebCitizen(http, f"http://127.0.0.1:{bot.web_port}")
        [warning] = await citizen.press("volunteer:start")
        assert "OTP" in warning["text"]


async def test_the_fake_answers_429_beyond_its_group_limit() -> None:
    """The fake itself: what the bot's pacing is tested against."""
    async with FakeTelegram(group_limit=(3, 60.0)) as fake, aiohttp.ClientSession() as http:
        fake.add_group(GROUP)
        statuses = []
        for number in range(4):
            async with http.post(
                f"{fake.base_url}{TOKEN}/sendMessage",
                json={"chat_id": GROUP, "text": f"tin {number}"},
            ) as response:
                statuses.append(response.status)
    assert statuses == [200, 200, 200, 429]
    assert fake.rate_limited == ["sendMessage"]


async def test_many_tickets_at_once_keep_to_the_group_limit(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """Ten tickets arrive together; the bot never gets a 429 from the group.

    The bot paces 4 in 2 s (Telegram: 20 a minute, shrunk for the test); the fake refuses a
    fifth within 1 s, leaving room for delays between the two clocks on a busy machine.
    """
    tuning = replace(TUNING, group_window_seconds=2.0)
    async with (
        FakeTelegram(group_limit=(4, 1.0)) as fake,
        aiohttp.ClientSession() as http,
    ):
        fake.add_group(GROUP, members={LAN: "Lan"})
        async with desk_bot(
            settings, clock, knowledge, fake, tuning=tuning, telegram_group_rate_per_minute=4
        ) as runtime:
            base = f"http://127.0.0.1:{runtime.web_port}"
            for number in range(10):
                citizen = WebCitizen(http, base)
                await citizen.say("gặp người thật")
                await citizen.say(f"Câu hỏi số {number} về VNeID")
            await fake.wait_for(
                lambda: sum("Phiếu #" in text_of(m) for m in group_sent(fake)) == 10, within=20
            )
        assert fake.rate_limited == []
