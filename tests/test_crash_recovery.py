"""kill -9 of a real `python -m bot run`: nothing queued or acknowledged is lost.

1. The outbox: 25 waitlist promotions queued, the Bot API slowed, the bot killed while
   sending; after a restart every person has been told, and only messages that were on the
   wire at the kill may have arrived twice (promotions are resent by policy).
2. The webhook: 300 updates acknowledged with 200, the bot killed at once; after a restart
   every acknowledged update has been answered.
Both runs log at DEBUG and the logs are checked for the token and full chat ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.clock import VN_TZ, SystemClock
from bot.config import Settings
from bot.context import Knowledge
from bot.runtime import prepare
from handlers.signup.notices import promotion_message
from storage import broadcasts, help_sessions, outbox, signups, subscriptions
from storage.help_sessions import SessionSpec
from storage.models import OutboxMessage, OutboxStatus, ReminderSlot
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.processes import BotProcess

FIRST_CHAT = 7_100_000_000
SECRET = "crash-test-secret_0123456789"


def bot_env(settings: Settings, fake: FakeTelegram, **extra: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "LOG_LEVEL": "DEBUG",
        **extra,
    }
    if settings.database_schema:
        env["DATABASE_SCHEMA"] = settings.database_schema
    return env


def assert_log_is_clean(log: str, chat_ids: list[int]) -> None:
    """No token, no full chat id, no SQL parameters, no traceback."""
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    leaked = [chat for chat in chat_ids if str(chat) in log]
    assert leaked == [], f"full chat ids in the log: {leaked[:5]}"
    assert "[parameters:" not in log
    assert "Traceback" not in log


async def queue_promotions(settings: Settings, knowledge: Knowledge, people: int) -> list[int]:
    """A session with 1 seat and `people` + 1 sign-ups; raising the capacity queues
    `people` promotions, exactly as `sessions import` does. Returns the promoted chats."""
    now = SystemClock().now()
    start = dt.datetime.combine(
        (now + dt.timedelta(days=2)).astimezone(VN_TZ).date(), dt.time(8), VN_TZ
    ).astimezone(dt.UTC)

    def session(capacity: int) -> SessionSpec:
        return SessionSpec(
            slug="crash",
            title="Hướng dẫn cài VNeID",
            place="Nhà văn hóa",
            address="Thôn 1",
            commune="Xã Thử",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=3),
            capacity=capacity,
            topics=("VNeID",),
            bring="",
            contact="Tổ công nghệ số",
        )

    app, _ = await prepare(settings, knowledge=knowledge)
    try:
        async with app.transaction() as db:
            await help_sessions.import_sessions(db, [session(1)], now)
        async with app.transaction() as db:
            session_id = (await help_sessions.all_sessions(db))[0].session.id
            for index in range(people + 1):
                await signups.book(
                    db,
                    session_id=session_id,
                    channel="telegram",
                    chat_id=str(FIRST_CHAT + index),
                    full_name="Nguyễn Văn An",
                    phone="0912345678",
                    need="VNeID",
                    consent_at=now,
                    now=now,
                )
        async with app.transaction() as db:
            report = await help_sessions.import_sessions(db, [session(people + 1)], now)
            for held, person in report.promoted:
                await outbox.enqueue(db, promotion_message(held, person), now)
        return [int(person.chat_id) for _, person in report.promoted]
    finally:
        await app.close()


async def outbox_rows(settings: Settings, knowledge: Knowledge) -> list[OutboxMessage]:
    app, _ = await prepare(settings, knowledge=knowledge)
    try:
        async with app.open_db() as db:
            return list((await db.execute(select(OutboxMessage))).scalars().all())
    finally:
        await app.close()


async def test_kill_during_an_outbox_batch_loses_nobody(
    settings: Settings, knowledge: Knowledge, tmp_path: Path
) -> None:
    promoted = await queue_promotions(settings, knowledge, 25)
    assert len(promoted) == 25
    async with FakeTelegram(send_delay=0.4) as fake:
        # 4 messages a second: the kill finds a few on the wire and most never attempted.
        # On PostgreSQL the dead process's leases are taken over when they expire.
        env = bot_env(settings, fake, TELEGRAM_RATE_PER_SECOND="4", OUTBOX_LEASE_SECONDS="4")
        bot = BotProcess(env, tmp_path / "bot.log")
        await bot.start()
        await fake.wait_for(lambda: len(fake.sent) >= 5, within=30)
        await bot.kill9()
        before_kill = len(fake.sent)
        await asyncio.sleep(0.5)  # requests on the wire complete at the fake: "in doubt"
        on_wire = [r for r in await outbox_rows(settings, knowledge) if r.status == "sending"]
        await bot.start()
        await fake.wait_for(lambda: all(fake.messages_to(chat) for chat in promoted), within=60)
        # Rows left on the wire are dealt with once their lease expires (PostgreSQL).
        for _ in range(300):
            rows = await outbox_rows(settings, knowledge)
            if all(r.status == OutboxStatus.SENT for r in rows):
                break
            await asyncio.sleep(0.2)
        await bot.stop()
    received = Counter(int(m["chat_id"]) for m in fake.sent)
    assert set(received) == set(promoted)  # everybody told, nobody else
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= len(on_wire)  # only what was on the wire may arrive twice
    rows = await outbox_rows(settings, knowledge)
    assert Counter(r.status for r in rows) == {OutboxStatus.SENT: 25}
    assert sum(r.in_doubt_at is not None for r in rows) == len(on_wire)
    print(
        f"\noutbox crash: queued 25, sent before kill {before_kill}, on the wire at the kill "
        f"{len(on_wire)}, never attempted {25 - before_kill - len(on_wire)}, "
        f"received after restart by all 25, duplicates {duplicates}"
    )
    assert "on the wire when a sender stopped" in bot.log()
    assert_log_is_clean(bot.log(), promoted)


async def post_update(http: aiohttp.ClientSession, url: str, update: dict[str, object]) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(url, data=json.dumps(update), headers=headers) as response:
        return response.status


def start_update(update_id: int, chat_id: int) -> dict[str, object]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Lan"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
            "from": user,
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


@pytest.mark.parametrize("updates", [300])
async def test_kill_after_webhook_acknowledgements_loses_no_update(
    settings: Settings, knowledge: Knowledge, tmp_path: Path, updates: int
) -> None:
    chats = [FIRST_CHAT + 500 + index for index in range(updates)]
    async with FakeTelegram(send_delay=0.3) as fake:
        env = bot_env(
            settings,
            fake,
            TELEGRAM_WEBHOOK_URL="https://bot.example/telegram/webhook",
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_RATE_PER_SECOND="0",
            TELEGRAM_CHAT_RATE_PER_SECOND="0",
        )
        bot = BotProcess(env, tmp_path / "bot.log")
        port = await bot.start()
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            statuses = await asyncio.gather(
                *(
                    post_update(http, url, start_update(10_000 + i, chat))
                    for i, chat in enumerate(chats)
                )
            )
        assert Counter(statuses) == {200: updates}
        answered_before_kill = len({m["chat_id"] for m in fake.sent})
        await bot.kill9()
        await bot.start()
        await fake.wait_for(lambda: all(fake.messages_to(chat) for chat in chats), within=90)
        await bot.stop()
    received = Counter(int(m["chat_id"]) for m in fake.sent)
    assert set(received) == set(chats)
    duplicates = sum(count - 1 for count in received.values())
    print(
        f"\nwebhook crash: acknowledged {updates}, answered before kill {answered_before_kill}, "
        f"all {updates} answered after restart, duplicates {duplicates} "
        f"(replies on the wire at the kill, sent again)"
    )
    # Replies that were on the wire at the kill are sent again, and counted in the log.
    counted = re.search(r"(\d+) stored update\(s\) to handle and (\d+) answered", bot.log())
    assert counted is not None and duplicates <= int(counted.group(2))
    assert_log_is_clean(bot.log(), chats)


async def test_kill_during_a_broadcast_resumes_without_skipping_anyone(
    settings: Settings, knowledge: Knowledge, tmp_path: Path
) -> None:
    """An announcement to 40 subscribers, the process killed while sending: after the
    restart everyone has it once; what was on the wire is counted in doubt, not resent."""
    people = [FIRST_CHAT + 2000 + n for n in range(40)]
    app, _ = await prepare(settings, knowledge=knowledge)
    try:
        now = app.clock.now()
        async with app.transaction() as db:
            for chat in people:
                await subscriptions.subscribe(db, "telegram", str(chat), ReminderSlot.MORNING, now)
            item = await broadcasts.create(
                db,
                text="Hội thảo 10/10 được phát trực tuyến.",
                audience="subscribers",
                commune=None,
                send_at=now,
                created_by="test",
                now=now,
            )
    finally:
        await app.close()
    async with FakeTelegram(send_delay=0.4) as fake:
        env = bot_env(
            settings,
            fake,
            TELEGRAM_RATE_PER_SECOND="5",
            OUTBOX_LEASE_SECONDS="4",
            QUIET_HOURS="00:00-00:00",
        )
        bot = BotProcess(env, tmp_path / "bot.log")
        await bot.start()
        await fake.wait_for(lambda: len(fake.sent) >= 8, within=60)
        await bot.kill9()
        before_kill = len(fake.sent)
        await asyncio.sleep(0.6)  # the requests on the wire complete at the fake
        on_wire = [r for r in await outbox_rows(settings, knowledge) if r.status == "sending"]
        await bot.start()
        await fake.wait_for(lambda: all(fake.messages_to(chat) for chat in people), within=90)
        for _ in range(300):  # on PostgreSQL the dead process's leases expire first
            rows = await outbox_rows(settings, knowledge)
            if not any(r.status in ("pending", "sending") for r in rows):
                break
            await asyncio.sleep(0.2)
        await bot.stop()
    received = Counter(int(m["chat_id"]) for m in fake.sent)
    assert received == dict.fromkeys(people, 1)  # nobody skipped, nobody twice
    rows = [r for r in await outbox_rows(settings, knowledge) if r.source == f"broadcast:{item.id}"]
    statuses = Counter(r.status for r in rows)
    assert statuses == {OutboxStatus.SENT: 40 - len(on_wire), OutboxStatus.IN_DOUBT: len(on_wire)}
    print(
        f"\nbroadcast crash: 40 queued, sent before kill {before_kill}, on the wire at the kill "
        f"{len(on_wire)} (counted in doubt, not resent), all 40 received once"
    )
    assert_log_is_clean(bot.log(), people)
