"""Zalo Bot end to end: the whole bot, polling or its webhook, against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from bot.messages import Button, Reply
from bot.turn import Turn
from handlers import texts
from storage.models import InboxStatus, InboxUpdate, OutboxMessage, OutboxStatus, SignupStatus
from storage.outbox import Priority
from tests.signup_support import add_sessions, rows, spec
from tests.test_signup_channels import CODE
from tests.zalo_support import BotHarness, bot_running, queue, wait_final

CITIZEN = "e4ea2cd5189df1c3a88c"
ORGANIZER = "a1b2c3d4e5f6a7b8c9d0"
WEBHOOK = "https://bot.example.org/zalo/bot/webhook"
SECRET = "zalo-webhook-secret-123"
SQLITE_ONLY = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.fixture
async def zalo_bot(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[BotHarness]:
    async with bot_running(settings, clock, knowledge) as harness:
        yield harness


async def test_a_question_is_answered_by_polling(zalo_bot: BotHarness) -> None:
    app = zalo_bot.runtime.app
    entry = next(e for e in app.knowledge.entries if app.matcher.match(e.questions[0]).entry == e)
    [answer, *_] = await zalo_bot.say(CITIZEN, entry.questions[0])
    assert entry.answer.strip()[:40] in answer
    assert zalo_bot.fake.calls_of("deleteWebhook"), "polling and a webhook exclude each other"


async def taken(zalo_bot: BotHarness, update: dict[str, Any]) -> None:
    """Wait until the bot stored this update and finished with it."""
    message_id = update["message"]["message_id"]
    app = zalo_bot.runtime.app
    for _ in range(250):
        async with app.open_db() as db:
            status = await db.scalar(
                select(InboxUpdate.status).where(InboxUpdate.update_id == message_id)
            )
        if status == InboxStatus.DONE:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"update not handled: {status}")


async def press(zalo_bot: BotHarness, payload_prefix: str) -> str:
    """Type the number of the listed button that stands for this payload."""
    shown = await zalo_bot.runtime.dispatcher.last_buttons("zalo_bot", CITIZEN)
    number, label = next(
        (n, b.label) for n, b in enumerate(shown, 1) if b.payload.startswith(payload_prefix)
    )
    assert f"{number}. {label}" in zalo_bot.texts_to(CITIZEN)[-1]
    return (await zalo_bot.say(CITIZEN, str(number)))[-1]


async def test_a_full_sign_up_by_typed_numbers(zalo_bot: BotHarness) -> None:
    app = zalo_bot.runtime.app
    ids = await add_sessions(app, spec("ly-son", capacity=2, commune="Đặc khu Lý Sơn"))
    [listing] = await zalo_bot.say(CITIZEN, "dang ky buoi ho tro")
    assert "còn 2 chỗ" in listing and "\n1. " in listing
    await press(zalo_bot, f"signup:pick:{ids['ly-son']}")
    ask_name = await press(zalo_bot, "signup:consent:yes")
    assert "họ và tên" in ask_name
    await zalo_bot.say(CITIZEN, "Phạm Thị Hoa")
    await zalo_bot.say(CITIZEN, "0905 123 456")
    summary = await press(zalo_bot, "signup:need:0")
    assert "0905" in summary
    done = await press(zalo_bot, "signup:confirm")
    match = CODE.search(done)
    assert match is not None, done
    [row] = await rows(app)
    assert (row.channel, row.chat_id, row.status) == ("zalo_bot", CITIZEN, SignupStatus.CONFIRMED)
    [mine] = await zalo_bot.say(CITIZEN, "/cuatoi")
    assert match.group(1) in mine


@SQLITE_ONLY
async def test_replayed_updates_are_handled_once(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with bot_running(settings, clock, knowledge, {"replays": 2}) as zalo_bot:
        await zalo_bot.say(CITIZEN, "/start")
        await zalo_bot.say(CITIZEN, "/help")
        assert len(zalo_bot.texts_to(CITIZEN)) == 2
        assert len(zalo_bot.fake.calls_of("getUpdates")) >= 6  # each update served 3 times


@SQLITE_ONLY
async def test_stickers_images_and_groups(zalo_bot: BotHarness) -> None:
    seen: list[tuple[str, str | None]] = []

    async def unsupported(turn: Turn) -> list[Reply]:
        seen.append((turn.incoming.kind, turn.incoming.media_id))
        return [Reply("ok")]

    zalo_bot.fake.inject_text(CITIZEN, "/start", chat_type="GROUP", chat_id="group-1")
    zalo_bot.runtime.dispatcher.router.unsupported(unsupported)
    zalo_bot.fake.inject_sticker(CITIZEN)
    zalo_bot.fake.inject_image(CITIZEN, "https://photo.example/b.jpg", caption="ảnh CCCD")
    await zalo_bot.say(CITIZEN, "/help")
    assert seen == [("sticker", None), ("photo", "https://photo.example/b.jpg")]
    assert zalo_bot.texts_to("group-1") == []


async def test_the_webhook_checks_its_secret_and_dedupes(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    changes: dict[str, Any] = {
        "zalo_bot_webhook_url": WEBHOOK,
        "zalo_bot_webhook_secret": SecretStr(SECRET),
    }
    async with bot_running(settings, clock, knowledge, **changes) as zalo_bot:
        fake = zalo_bot.fake
        assert fake.webhook is not None and fake.webhook["secret_token"] == SECRET
        url = f"http://127.0.0.1:{zalo_bot.runtime.web_port}/zalo/bot/webhook"
        update = fake.inject_text(CITIZEN, "/start")

        async def post(body: bytes, headers: dict[str, str]) -> int:
            async with (
                aiohttp.ClientSession() as session,
                session.post(url, data=body, headers=headers) as response,
            ):
                return response.status

        body, headers = fake.webhook_request(update)
        assert await post(body, {"Content-Type": "application/json"}) == 401
        assert await post(*fake.webhook_request(update, secret="wrong-secret-123")) == 403
        assert await post(b"[1, 2]", headers) == 400
        assert (
            await post(json.dumps({"event_name": "message.text.received"}).encode(), headers) == 400
        )
        assert await post(body, headers) == 200
        assert await post(*fake.webhook_request(update, envelope="wrapped")) == 200  # again
        await fake.wait_for(lambda: len(zalo_bot.texts_to(CITIZEN)) == 1)
        await fake.wait_for(lambda: zalo_bot.channel.in_flight == 0)
        assert zalo_bot.texts_to(CITIZEN)[0].startswith(texts.welcome().text[:30])
        assert fake.calls_of("getUpdates") == []


async def test_a_typed_number_presses_the_buttons_of_an_outbox_message(
    zalo_bot: BotHarness,
) -> None:
    await zalo_bot.say(CITIZEN, "/start")
    app = zalo_bot.runtime.app
    notice = Reply("Nhắc lịch ngày mai.", (texts.MENU_BUTTON, Button("Trợ giúp", "menu:help")))
    [row] = await wait_final(app, [await queue(app, "zalo_bot", CITIZEN, notice)])
    assert row.status == OutboxStatus.SENT
    assert zalo_bot.texts_to(CITIZEN)[-1].endswith("1. 🏠 Về menu chính\n2. Trợ giúp")
    [help_text] = await zalo_bot.say(CITIZEN, "2")  # in the main menu, 2 would be topics
    assert help_text.startswith(texts.help_text().text[:20])


async def test_the_monthly_quota_warns_once_and_holds_bulk_back_before_replies(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """A plan of 20: organizers warned at 16; bulk stops at 18, notices at 19, replies at 20."""
    changes: dict[str, Any] = {"zalo_bot_monthly_quota": 20, "admin_ids": f"zalo_bot:{ORGANIZER}"}
    async with bot_running(settings, clock, knowledge, **changes) as zalo_bot:
        app = zalo_bot.runtime.app
        await zalo_bot.say(CITIZEN, "/start")  # 1
        reminder = Reply("🔔 Nhắc lịch: Ngày Chuyển đổi số quốc gia 10/10.")
        first = [await queue(app, "zalo_bot", CITIZEN, reminder) for _ in range(14)]
        assert {row.status for row in await wait_final(app, first)} == {OutboxStatus.SENT}  # 15
        assert zalo_bot.texts_to(ORGANIZER) == []
        [crossing] = await wait_final(app, [await queue(app, "zalo_bot", CITIZEN, reminder)])
        assert crossing.status == OutboxStatus.SENT  # 16: this one crossed the 80%
        await zalo_bot.fake.wait_for(lambda: len(zalo_bot.texts_to(ORGANIZER)) == 1)  # 17
        [warning] = zalo_bot.texts_to(ORGANIZER)
        assert "16 of the 20 messages" in warning
        more = [await queue(app, "zalo_bot", CITIZEN, reminder) for _ in range(2)]
        sent, held = await wait_final(app, more)
        assert (sent.status, held.status) == (OutboxStatus.SENT, OutboxStatus.SKIPPED)  # 18
        assert "bulk held back" in (held.last_error or "")
        notice = Reply("Bạn đã có chỗ ở buổi hỗ trợ.")
        ids = [
            await queue(app, "zalo_bot", CITIZEN, notice, priority=Priority.NOTICE)
            for _ in range(2)
        ]
        assert [row.status for row in await wait_final(app, ids)] == [
            OutboxStatus.SENT,  # 19
            OutboxStatus.SKIPPED,
        ]
        assert await zalo_bot.say(CITIZEN, "/help")  # 20: a reply still goes out
        await taken(zalo_bot, zalo_bot.fake.inject_text(CITIZEN, "/menu"))
        assert len(zalo_bot.fake.sent) == 20  # nothing past the plan, not even a reply


@SQLITE_ONLY
async def test_when_zalo_says_the_quota_is_gone_the_count_agrees(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with bot_running(settings, clock, knowledge, {"monthly_quota": 2}) as zalo_bot:
        app = zalo_bot.runtime.app
        await zalo_bot.say(CITIZEN, "/start")
        reminder = Reply("🔔 Nhắc lịch.")
        ids = [await queue(app, "zalo_bot", CITIZEN, reminder) for _ in range(3)]
        statuses = [row.status for row in await wait_final(app, ids)]
        assert statuses == [OutboxStatus.SENT, OutboxStatus.SKIPPED, OutboxStatus.SKIPPED]
        # The second was refused by Zalo; the third was held back without a call.
        assert len(zalo_bot.fake.calls_of("sendMessage")) == 3


@SQLITE_ONLY
async def test_organizers_hear_when_the_plan_nears_its_users(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    changes: dict[str, Any] = {"zalo_bot_max_users": 5, "admin_ids": f"zalo_bot:{ORGANIZER}"}
    people = [f"{n}{CITIZEN[1:]}" for n in range(4)]
    async with bot_running(settings, clock, knowledge, **changes) as zalo_bot:
        for person in people[:3]:
            await zalo_bot.say(person, "/start")
        await zalo_bot.channel.check_users()
        await zalo_bot.say(people[3], "/start")  # 4 of 5: 80%
        await zalo_bot.channel.check_users()
        await zalo_bot.channel.check_users()  # told once
        await zalo_bot.fake.wait_for(lambda: len(zalo_bot.texts_to(ORGANIZER)) == 1)
        [alert] = zalo_bot.texts_to(ORGANIZER)
        assert "4 people have written to the bot and its plan serves 5" in alert
        async with zalo_bot.runtime.app.open_db() as db:
            kinds = (await db.execute(select(OutboxMessage.kind))).scalars().all()
        assert kinds == ["alert"]
