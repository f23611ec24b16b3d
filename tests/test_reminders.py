"""Campaign reminders: subscribe, choose, stop; the whole 1-10 October run with a fake clock."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import VN_TZ, ManualClock, to_local
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from bot.runtime import prepare
from handlers.reminders.daily import queue_due_reminders
from storage import subscriptions
from storage.models import OutboxMessage
from tests.signup_support import add_sessions, book_via_chat, spec
from tests.support import Chat, FakeChannel, joined, payloads


def vn(day: int, hour: int, minute: int = 0, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=VN_TZ).astimezone(dt.UTC)


async def subscribe(chat: Chat, slot: str = "morning", commune: int | None = None) -> None:
    offer = await chat.press("reminders:start")
    assert "reminders:slot:morning" in payloads(offer)
    replies = await chat.press(f"reminders:slot:{slot}")
    if "reminders:place:none" in payloads(replies):
        place = "none" if commune is None else str(commune)
        replies = await chat.press(f"reminders:place:{place}")
    assert "Đã đăng ký nhận nhắc lịch" in joined(replies)


async def test_the_offer_says_what_when_and_how_to_stop(chat: Chat) -> None:
    for text in ("nhắc tôi", "nhac lich", "đăng ký nhận tin", "/nhaclich", "/start nhaclich"):
        replies = await chat.say(text)
        said = joined(replies)
        assert "mỗi ngày một tin" in said and "07:30" in said and "19:00" in said, text
        assert "Dừng nhận nhắc lịch" in said and "10/10/2026" in said, text


async def test_subscribe_with_a_commune_change_and_stop(
    dispatcher: Dispatcher, app: AppContext
) -> None:
    await add_sessions(app, spec("a", commune="Xã Nghĩa Hành"), spec("b", commune="Xã Tịnh Phong"))
    chat = Chat(dispatcher, "lan")
    await subscribe(chat, "evening", commune=1)
    async with app.open_db() as db:
        found = await subscriptions.find(db, "fake", "lan")
    assert found is not None and (found.slot, found.commune) == ("evening", "Xã Tịnh Phong")
    status = await chat.press("reminders:start")  # already subscribed: the settings
    assert "buổi tối" in joined(status) and "reminders:stop" in payloads(status)
    mine = await chat.say("/dulieu")
    assert "nhắc lịch" in joined(mine) and "Xã Tịnh Phong" in joined(mine)
    for stop in ("dừng nhắc", "/huynhac"):
        replies = await chat.say(stop)
        assert "Đã dừng nhắc lịch" in joined(replies) or "chưa đăng ký" in joined(replies)
    async with app.open_db() as db:
        assert await subscriptions.find(db, "fake", "lan") is None


async def test_a_question_typed_during_the_choice_is_not_a_dead_end(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, "hoa")
    await chat.press("reminders:start")
    replies = await chat.say("vneid là gì")
    assert "reminders:slot:morning" in payloads(replies)  # the choice is offered again
    answer = await chat.say("vneid là gì")  # ... and the next question is answered
    assert "VNeID" in joined(answer)


async def test_stop_withdraws_reminders_already_queued(
    dispatcher: Dispatcher, app: AppContext, clock: ManualClock, fake_channel: FakeChannel
) -> None:
    await subscribe(Chat(dispatcher, "a"))
    await subscribe(Chat(dispatcher, "b"))
    clock.set(vn(3, 7, 45))
    await queue_due_reminders(app)
    async with app.open_db() as db:
        rows = (await db.execute(select(OutboxMessage))).scalars().all()
    assert sorted(r.chat_id for r in rows) == ["a", "b"]
    await Chat(dispatcher, "a").press("reminders:stop")  # after queueing, before sending
    await OutboxSender(app).send_due()
    assert [chat for chat, _ in fake_channel.sent] == ["b"]
    assert "Ngày 03/10" in fake_channel.sent[0][1].text


async def test_a_reminder_lists_nearby_sessions_and_the_persons_booking(
    dispatcher: Dispatcher, app: AppContext, clock: ManualClock, fake_channel: FakeChannel
) -> None:
    ids = await add_sessions(
        app,
        spec("near", day=3, hour=14, commune="Xã Nghĩa Hành", capacity=5),
        spec("far", day=3, hour=15, commune="Xã Tịnh Phong"),
        spec("other-day", day=4, commune="Xã Nghĩa Hành"),
    )
    chat = Chat(dispatcher, "an")
    await book_via_chat(chat, ids["near"])
    await subscribe(chat, "morning", commune=0)
    clock.set(vn(3, 7, 30))
    await queue_due_reminders(app)
    await OutboxSender(app).send_due()
    [(_, reminder)] = fake_channel.sent
    assert "Nghĩa Hành" in reminder.text and "còn 4 chỗ" in reminder.text
    assert "Tịnh Phong" not in reminder.text  # another commune
    assert "bạn có lịch hẹn" in reminder.text
    assert "reminders:stop" in payloads([reminder]) and "faq:vneid-level2-register" in payloads(
        [reminder]
    )


async def test_the_whole_campaign_once_per_day_through_restarts_and_two_schedulers(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """Three subscribers, 28/9 to 12/10 in half-hour steps; a restart in the middle of day 4;
    two schedulers at once from day 6; one stops on day 5. Exactly one reminder per
    subscriber per campaign day, each at its slot, none during the quiet hours."""
    app, dispatcher = await prepare(settings, clock, knowledge)
    fake = FakeChannel()
    app.channels["fake"] = fake
    await subscribe(Chat(dispatcher, "morning"), "morning")
    await subscribe(Chat(dispatcher, "evening"), "evening")
    await subscribe(Chat(dispatcher, "quits"), "morning")
    second: AppContext | None = None
    sent_at: dict[str, list[dt.datetime]] = {}
    try:
        while clock.now() < vn(12, 12):
            clock.advance(timedelta(minutes=30))
            local = to_local(clock.now())
            if (local.day, local.hour, local.minute) == (4, 12, 0) and local.month == 10:
                await app.close()  # a redeploy in the middle of a day
                app, dispatcher = await prepare(settings, clock, knowledge)
                app.channels["fake"] = fake
            if second is None and local.month == 10 and local.day == 6:
                second, _ = await prepare(settings, clock, knowledge)
            if local.month == 10 and (local.day, local.hour, local.minute) == (5, 12, 0):
                await Chat(dispatcher, "quits").press("reminders:stop")
            schedulers = [queue_due_reminders(app)] + (
                [queue_due_reminders(second)] if second else []
            )
            await asyncio.gather(*schedulers)
            before = len(fake.sent)
            await OutboxSender(app).send_due()
            for chat_id, _ in fake.sent[before:]:
                sent_at.setdefault(chat_id, []).append(clock.now())
    finally:
        await app.close()
        if second is not None:
            await second.close()
    days = {
        chat: Counter(reply.text.split(":")[0] for c, reply in fake.sent if c == chat)
        for chat in ("morning", "evening", "quits")
    }
    expected = {f"🔔 Ngày {d:02d}/10" for d in range(1, 11)}
    assert set(days["morning"]) == expected and set(days["morning"].values()) == {1}
    assert set(days["evening"]) == expected and set(days["evening"].values()) == {1}
    assert set(days["quits"]) == {f"🔔 Ngày {d:02d}/10" for d in range(1, 6)}
    for moment in sent_at["morning"]:
        assert to_local(moment).time() >= dt.time(7, 30)
    for moment in sent_at["evening"]:  # the evening before the day it is about
        assert dt.time(19, 0) <= to_local(moment).time() < dt.time(21, 0)
    assert to_local(min(sent_at["evening"])).date() == dt.date(2026, 9, 30)


async def test_down_at_the_slot_catches_up_but_a_past_day_is_never_sent(
    dispatcher: Dispatcher, app: AppContext, clock: ManualClock, fake_channel: FakeChannel
) -> None:
    await subscribe(Chat(dispatcher, "late"))
    clock.set(vn(3, 10, 0))  # the bot was down at 07:30 and starts at 10:00
    await queue_due_reminders(app)
    await OutboxSender(app).send_due()
    assert [reply.text.split(":")[0] for _, reply in fake_channel.sent] == ["🔔 Ngày 03/10"]
    clock.set(vn(5, 22, 0))  # down on day 4 and all of day 5 until the quiet hours
    await queue_due_reminders(app)
    clock.set(vn(6, 8, 0))
    await queue_due_reminders(app)
    await OutboxSender(app).send_due()
    assert [reply.text.split(":")[0] for _, reply in fake_channel.sent] == [
        "🔔 Ngày 03/10",
        "🔔 Ngày 06/10",
    ]


async def test_queued_in_the_evening_and_not_sent_by_the_quiet_hours_is_skipped(
    dispatcher: Dispatcher, app: AppContext, clock: ManualClock, fake_channel: FakeChannel
) -> None:
    await subscribe(Chat(dispatcher, "e"), "evening")
    clock.set(vn(2, 20, 59))
    await queue_due_reminders(app)
    clock.set(vn(2, 21, 30))  # the sender was stuck: now it is the quiet hours
    await OutboxSender(app).send_due()
    clock.set(vn(3, 7, 5))  # the next morning it is too late for "tomorrow"
    await OutboxSender(app).send_due()
    assert fake_channel.sent == []
    async with app.open_db() as db:
        [row] = (await db.execute(select(OutboxMessage))).scalars().all()
    assert (row.status, row.last_error) == ("skipped", "too late: its day is over")


async def test_subscribe_and_stop_on_the_web_chat(
    web_client: Any, app: AppContext, clock: ManualClock
) -> None:
    async def chat(**body: object) -> dict[str, Any]:
        response = await web_client.post("/api/chat", json=body)
        assert response.status == 200
        return dict(await response.json())

    first = await chat(text="nhắc tôi")
    session = first["session"]
    offer = [b["payload"] for r in first["replies"] for b in r["buttons"]]
    assert "reminders:slot:evening" in offer
    done = await chat(session=session, payload="reminders:slot:evening")
    assert "Đã đăng ký nhận nhắc lịch" in " ".join(r["text"] for r in done["replies"])
    clock.set(vn(4, 19, 5))  # the evening before 5/10
    await queue_due_reminders(app)
    await OutboxSender(app).send_due()
    updates = await (await web_client.get("/api/updates", params={"session": session})).json()
    [reminder] = updates["replies"]
    assert reminder["text"].startswith("🔔 Ngày 05/10")
    stopped = await chat(session=session, payload="reminders:stop")
    assert "Đã dừng nhắc lịch" in " ".join(r["text"] for r in stopped["replies"])
