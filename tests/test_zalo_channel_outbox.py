"""Messages to Zalo citizens through the outbox: the OA's 7-day window, unfollows, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from bot.features import Feature, Product, load_product
from bot.messages import Button, Reply
from bot.routing import Router
from bot.runtime import running
from bot.turn import Turn
from storage import inbox
from storage.db import create_engine, create_session_maker
from storage.models import InboxStatus, OutboxStatus
from storage.outbox import Priority
from tests.fake_zalo import FakeZaloOA
from tests.zalo_support import (
    TUNING,
    OaHarness,
    oa_running,
    oa_settings,
    queue,
    store_tokens,
    wait_final,
)

INSIDE = "6142494823000000002"
OUTSIDE = "6142494823000000003"
REMINDER = Reply("🔔 Nhắc lịch: ngày mai là Ngày Chuyển đổi số quốc gia.")


async def test_reminders_go_inside_the_window_and_are_skipped_outside(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with oa_running(settings, clock, knowledge) as oa_bot:
        await oa_bot.say(OUTSIDE, "/start")
        clock.advance(timedelta(days=6))
        await oa_bot.say(INSIDE, "/start")
        clock.advance(timedelta(days=2))  # OUTSIDE wrote 8 days ago, INSIDE 2 days ago
        app = oa_bot.runtime.app
        ids = [await queue(app, "zalo_oa", chat, REMINDER) for chat in (INSIDE, OUTSIDE)]
        inside, outside = await wait_final(app, ids)
        assert inside.status == OutboxStatus.SENT and inside.platform_message_id
        assert outside.status == OutboxStatus.SKIPPED
        assert (outside.last_error or "").startswith("outside Zalo window")
        assert [m["message"]["text"] for m in oa_bot.oa.messages_to(INSIDE)][-1] == REMINDER.text
        assert len(oa_bot.oa.messages_to(OUTSIDE)) == 1  # the greeting only: never tried
        # The 25 h access token ran out twice meanwhile: refreshed each time, on the way,
        # each single-use refresh token spent once.
        refreshes = oa_bot.oa.calls_of("access_token")
        assert len({call.params["refresh_token"] for call in refreshes}) == len(refreshes) == 2
        assert all("access_token" in call.answer for call in refreshes)


async def test_a_reply_outside_the_window_is_left_to_the_oa_to_refuse(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with oa_running(settings, clock, knowledge) as oa_bot:
        await oa_bot.say(OUTSIDE, "/start")
        clock.advance(timedelta(days=8))
        app = oa_bot.runtime.app
        [row] = await wait_final(
            app, [await queue(app, "zalo_oa", OUTSIDE, REMINDER, priority=Priority.REPLY)]
        )
        assert row.status == OutboxStatus.SKIPPED and "-230" in (row.last_error or "")
        assert oa_bot.oa.calls_of("message/cs")[-1].answer["error"] == -230


async def test_no_notice_after_an_unfollow(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with oa_running(settings, clock, knowledge) as oa_bot:
        await oa_bot.say(INSIDE, "/start")
        assert await oa_bot.post(oa_bot.oa.unfollow_event(INSIDE)) == 200
        await oa_bot.settled()
        app = oa_bot.runtime.app
        [row] = await wait_final(
            app, [await queue(app, "zalo_oa", INSIDE, REMINDER, priority=Priority.NOTICE)]
        )
        assert row.status == OutboxStatus.UNREACHABLE
        assert len(oa_bot.oa.calls_of("message/cs")) == 1  # the greeting


async def test_a_tap_on_an_outbox_message_presses_its_button(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    async with oa_running(settings, clock, knowledge) as oa_bot:
        await oa_bot.say(INSIDE, "/start")
        app = oa_bot.runtime.app
        notice = Reply("Bạn muốn xem gì?", (Button("📚 Chủ đề", "topics:list"),))
        await wait_final(app, [await queue(app, "zalo_oa", INSIDE, notice)])
        topics = await oa_bot.next_after(INSIDE, oa_bot.oa.tap(INSIDE, "📚 Chủ đề"))
        assert topics["message"]["text"].startswith("Bạn muốn tìm hiểu chủ đề nào ạ?\n\n1. ")


async def stored_updates(settings: Settings) -> dict[str, int]:
    """The inbox while no bot runs."""
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        async with create_session_maker(engine)() as db:
            return await inbox.counts(db)
    finally:
        await engine.dispose()


def product_with(register: Callable[[Router], None]) -> Product:
    product = load_product()
    feature = Feature(name="restart-test", register=register)
    return replace(product, features=(*product.features, feature))


async def test_an_acknowledged_event_is_handled_after_a_restart(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """Stored and answered 200, then the bot stops before handling it: the next run does."""
    may_answer, entered = asyncio.Event(), asyncio.Event()

    async def slow(turn: Turn) -> list[Reply]:
        entered.set()
        await may_answer.wait()
        return [Reply("Đã xử lý sau khi khởi động lại.")]

    product = product_with(lambda router: router.command("cham", slow))
    tuning = replace(TUNING, shutdown_grace_seconds=0.1)
    async with FakeZaloOA(clock.now) as oa:
        configured = oa_settings(settings, oa)
        await store_tokens(configured, oa.issue_tokens(), clock.now())
        async with running(
            configured, clock, zalo_tuning=tuning, knowledge=knowledge, product=product
        ) as first:
            harness = OaHarness(first, oa)
            assert await harness.post(oa.text_event(INSIDE, "/cham")) == 200
            await asyncio.wait_for(entered.wait(), 5)
        assert await stored_updates(configured) == {InboxStatus.RECEIVED: 1}
        assert oa.messages_to(INSIDE) == []
        may_answer.set()
        async with running(
            configured, clock, zalo_tuning=tuning, knowledge=knowledge, product=product
        ) as second:
            await oa.wait_for(lambda: len(oa.messages_to(INSIDE)) == 1)
            await OaHarness(second, oa).settled()
            async with second.app.open_db() as db:
                assert await inbox.counts(db) == {InboxStatus.DONE: 1}
        assert oa.messages_to(INSIDE)[0]["message"]["text"] == "Đã xử lý sau khi khởi động lại."
