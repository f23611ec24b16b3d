"""Reminders and announcements over Telegram: subscribe by buttons, stop, and the engine
against a 429 storm, blocked and gone recipients, and 5xx errors (the real client, the fake
Bot API)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.runtime import Runtime, running
from handlers.reminders.announcements import queue_due_broadcasts
from handlers.reminders.daily import queue_due_reminders
from storage import broadcasts, subscriptions
from storage.conversations import is_blocked
from storage.models import OutboxMessage
from tests import fake_telegram as ft
from tests.fake_telegram import FakeTelegram
from tests.test_reminders import vn
from tests.test_telegram import TUNING, buttons_of, telegram_settings, visible

CITIZENS = [730000000 + n for n in range(12)]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(
    settings: Settings, fake: FakeTelegram, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[Runtime]:
    async with running(
        telegram_settings(settings, fake, outbox_poll_seconds=0.05),
        clock,
        serve_web=False,
        telegram_tuning=TUNING,
        knowledge=knowledge,
    ) as runtime:
        yield runtime


async def tap(fake: FakeTelegram, chat: int, label_part: str) -> None:
    """Press the button whose label contains `label_part` on the latest message."""
    message = fake.messages_to(chat)[-1]
    [data] = [d for t, d in buttons_of(message) if label_part in t]
    fake.callback(chat, data, message_id=message["message_id"])


async def subscribe_on_telegram(fake: FakeTelegram, chat: int) -> None:
    fake.message(chat, "/nhaclich")
    await fake.wait_messages(chat, 1)
    assert "Dừng nhận nhắc lịch" in visible(fake.messages_to(chat)[-1])
    count = len(fake.messages_to(chat))
    await tap(fake, chat, "Buổi sáng")
    await fake.wait_messages(chat, count + 1)
    assert "Đã đăng ký nhận nhắc lịch" in visible(fake.messages_to(chat)[-1])


async def test_subscribe_get_a_reminder_and_stop_with_its_button(
    bot: Runtime, fake: FakeTelegram, clock: ManualClock
) -> None:
    chat = CITIZENS[0]
    await subscribe_on_telegram(fake, chat)
    clock.set(vn(2, 7, 30))
    await queue_due_reminders(bot.app)
    bot.app.outbox_wakeup.set()
    messages = await fake.wait_messages(chat, 3)
    reminder = messages[-1]
    assert visible(reminder).startswith("🔔 Ngày 02/10")
    fake.callback(chat, "reminders:stop", message_id=reminder["message_id"])
    messages = await fake.wait_messages(chat, 4)
    assert "Đã dừng nhắc lịch" in visible(messages[-1])
    async with bot.app.open_db() as db:
        assert await subscriptions.find(db, "telegram", str(chat)) is None


async def settled(app: AppContext, source: str) -> None:
    """Wait until the sender recorded every outcome (the last "sent" is committed just after
    the message reached the fake)."""
    for _ in range(200):
        async with app.open_db() as db:
            open_rows = (
                await db.execute(
                    select(OutboxMessage.id).where(
                        OutboxMessage.source == source,
                        OutboxMessage.status.in_(["pending", "sending"]),
                    )
                )
            ).all()
        if not open_rows:
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("the outbox did not settle")


async def test_a_broadcast_through_a_429_storm_blocked_gone_and_5xx(
    bot: Runtime, fake: FakeTelegram, clock: ManualClock
) -> None:
    """429 pauses and resumes, 5xx is retried, a block or a deleted chat ends that person's
    sending, a transient 403 does not; everybody else gets it exactly once."""
    app = bot.app
    for chat in CITIZENS:
        fake.message(chat, "/nhaclich")
        await fake.wait_messages(chat, 1)
        await tap(fake, chat, "Buổi sáng")
        await fake.wait_messages(chat, 2)
    blocked, gone, transient, flaky = CITIZENS[1], CITIZENS[2], CITIZENS[3], CITIZENS[4]
    fake.fail("sendMessage", ft.too_many_requests(1), times=3)  # a storm, for anyone
    fake.fail("sendMessage", ft.blocked_by_user(), chat_id=blocked)
    fake.fail("sendMessage", ft.Fault(400, "Bad Request: chat not found"), chat_id=gone)
    fake.fail("sendMessage", ft.forbidden(), chat_id=transient)  # not a reason to stop
    fake.fail("sendMessage", ft.server_error(), times=2, chat_id=flaky)
    async with app.transaction() as db:
        item = await broadcasts.create(
            db,
            text="Hội thảo 10/10 được phát trực tuyến.",
            audience="subscribers",
            commune=None,
            send_at=app.clock.now(),
            created_by="test",
            now=app.clock.now(),
        )
    await queue_due_broadcasts(app)
    app.outbox_wakeup.set()
    delivered = [c for c in CITIZENS if c not in (blocked, gone, transient)]

    def announced(chat: int) -> int:
        return sum("Thông báo từ ban tổ chức" in visible(m) for m in fake.messages_to(chat))

    def done() -> bool:
        return all(announced(c) for c in delivered)

    for _ in range(30):  # retries are scheduled on the (manual) clock: move it along
        try:
            await fake.wait_for(done, within=1.5)
            break
        except TimeoutError:
            clock.advance(timedelta(seconds=30))
            app.outbox_wakeup.set()
    assert done()
    assert {c: announced(c) for c in delivered} == dict.fromkeys(delivered, 1)
    await settled(app, broadcasts.source_of(item.id))
    async with app.open_db() as db:
        rows = (
            (
                await db.execute(
                    select(OutboxMessage).where(
                        OutboxMessage.source == broadcasts.source_of(item.id)
                    )
                )
            )
            .scalars()
            .all()
        )
        statuses = Counter(row.status for row in rows)
        still = {
            c: await subscriptions.find(db, "telegram", str(c)) for c in (blocked, gone, transient)
        }
    assert statuses == {"sent": len(delivered), "unreachable": 2, "failed": 1}
    # The block and the deleted chat end the sending; a transient 403 keeps the subscriber.
    assert still[transient] is not None
    async with app.open_db() as db:
        assert await is_blocked(db, "telegram", str(blocked))
        assert await is_blocked(db, "telegram", str(gone))
        assert not await is_blocked(db, "telegram", str(transient))
