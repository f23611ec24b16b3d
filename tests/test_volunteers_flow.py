"""The volunteer desk through the dispatcher, with a fake group desk: the citizen's entries,
the warning and the held conversation, the group's rules, and the timers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.channels.base import GroupCheck
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.dispatcher import Dispatcher
from bot.runtime import prepare
from handlers.volunteers.desk import refresh_check
from storage import tickets
from storage.conversations import load_conversation
from storage.models import TicketAuthor, TicketOutcome, TicketStatus
from tests.support import Chat, FakeChannel, joined, payloads
from tests.volunteer_support import (
    FakeDesk,
    attach_desk,
    desk_settings,
    group_message,
    only_ticket,
    settle,
)

Wired = tuple[AppContext, Dispatcher, FakeDesk]


@pytest.fixture
async def desk_app(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[Wired]:
    app, dispatcher = await prepare(desk_settings(settings), clock, knowledge)
    app.channels["fake"] = FakeChannel()
    desk = await attach_desk(app)
    desk.members = {"v1", "v2"}
    try:
        yield app, dispatcher, desk
    finally:
        await app.close()


async def open_ticket(chat: Chat, question: str = "Cài VNeID thế nào?") -> None:
    await chat.press("volunteer:start")
    [opened] = await chat.say(question)
    assert "phiếu số" in opened.text


def fake_sent(app: AppContext) -> list[str]:
    channel = app.channels["fake"]
    assert isinstance(channel, FakeChannel)
    return [reply.text for _, reply in channel.sent]


@pytest.mark.parametrize(
    "typed", ["/tinhnguyenvien", "gặp người thật", "cho tôi hỏi tình nguyện viên", "gap tnv"]
)
async def test_every_entry_warns_before_anything_is_forwarded(desk_app: Wired, typed: str) -> None:
    _, dispatcher, _ = desk_app
    [warning] = await Chat(dispatcher, f"entry-{typed}").say(typed)
    assert "người thật" in warning.text and "mật khẩu" in warning.text and "OTP" in warning.text
    assert "volunteer:send" not in payloads([warning])  # nothing typed worth sending yet


async def test_two_unanswered_questions_in_a_row_bring_the_offer(desk_app: Wired) -> None:
    _, dispatcher, desk = desk_app
    chat = Chat(dispatcher, "asker")
    assert "tình nguyện viên (người thật)" not in joined(await chat.say("giá vàng hôm nay"))
    assert "VNeID" in joined(await chat.say("quên mật khẩu vneid"))  # answered: the row breaks
    assert "tình nguyện viên (người thật)" not in joined(await chat.say("giá xăng hôm nay"))
    offered = await chat.say("giá vé tàu ra Lý Sơn")
    assert "Có vẻ tôi chưa giúp được bạn" in offered[-1].text
    assert payloads(offered[-1:]) == ["volunteer:start"]
    # Without a working desk, no offer: the button would only say "not available".
    desk.check = GroupCheck(False, problem="the bot is not an administrator")
    await refresh_check(desk_app[0], force=True)
    await chat.say("giá vàng hôm nay")
    assert "Có vẻ" not in joined(await chat.say("giá xăng hôm nay"))


async def test_the_question_asked_just_before_goes_with_one_tap_masked(desk_app: Wired) -> None:
    app, dispatcher, _ = desk_app
    chat = Chat(dispatcher, "one-tap")
    await chat.say("giá vé tàu ra Lý Sơn, gọi tôi 0912345678")
    [warning] = await chat.press("volunteer:start")
    assert "volunteer:send" in payloads([warning])
    [opened] = await chat.press("volunteer:send")
    assert "phiếu số 1" in opened.text
    async with app.open_db() as db:
        [first] = await tickets.messages_of(db, 1)
    assert "0912345678" not in first.text and "[số đã ẩn]" in first.text


async def test_giving_up_before_sending_sends_nothing(desk_app: Wired) -> None:
    app, dispatcher, desk = desk_app
    chat = Chat(dispatcher, "changed-mind")
    await chat.say("gặp người thật")
    assert "không chuyển gì" in joined(await chat.say("thôi"))
    await chat.say("gặp người thật")
    assert "không chuyển gì" in joined(await chat.say("kết thúc"))
    await settle(app)
    async with app.open_db() as db:
        assert await tickets.recent(db) == []
    assert desk.sent == []


async def test_the_held_conversation_is_silent_except_for_its_exits(desk_app: Wired) -> None:
    app, dispatcher, desk = desk_app
    chat = Chat(dispatcher, "held")
    await open_ticket(chat)
    assert await chat.say("Máy tôi là Android") == []  # kept until the card is out
    await settle(app)
    assert await chat.say("quên mật khẩu vneid") == []  # a question for the volunteer now
    assert "chưa chuyển được" in joined(await chat.send_kind("sticker"))
    assert "Kết thúc trò chuyện" in joined(await chat.press("topics:list"))
    await settle(app)
    texts = desk.texts()
    assert texts[0].startswith("🆕 Phiếu #1") and "Cài VNeID thế nào?" in texts[0]
    assert [t.split("\n")[-1] for t in texts[1:3]] == ["Máy tôi là Android", "quên mật khẩu vneid"]
    assert "nhãn dán" in texts[3]
    assert {thread for _, thread, _ in desk.sent} == {(await only_ticket(app)).thread_id}

    menu = await chat.say("/menu")  # an exit: the ticket closes with it
    assert "Đã kết thúc trò chuyện" in menu[0].text and "menu:ask" in payloads(menu)
    ticket = await only_ticket(app)
    assert (ticket.status, ticket.outcome) == (TicketStatus.CLOSED, TicketOutcome.ENDED)
    assert "VNeID" in joined(await chat.say("quên mật khẩu vneid"))  # the bot answers again


async def test_in_the_group_only_the_claimers_messages_reach_the_citizen(desk_app: Wired) -> None:
    app, dispatcher, _ = desk_app
    chat = Chat(dispatcher, "asks-the-group")
    await open_ticket(chat)
    await settle(app)
    thread = (await only_ticket(app)).thread_id

    hint = await dispatcher.handle(group_message("Để mình xem", user="v1", thread_id=thread))
    assert "chưa có người nhận" in joined(hint)  # not relayed before a claim
    outsider = group_message(payload="desk:claim:1", user="visitor")
    assert await dispatcher.handle(outsider) == []
    assert (await only_ticket(app)).status == TicketStatus.WAITING
    await dispatcher.handle(group_message(payload="desk:claim:1", user="v1", name="Lan Anh"))
    await dispatcher.handle(group_message(payload="desk:claim:1", user="v2", name="Minh"))
    assert (await only_ticket(app)).volunteer_name == "Lan"
    await dispatcher.handle(group_message("Bạn Lan lo nhé", user="v2", thread_id=thread))
    await dispatcher.handle(group_message("Bác vào mục Cài đặt ạ", user="v1", thread_id=thread))
    await dispatcher.handle(group_message("Ngoài lề thôi", user="v1"))  # not in the topic
    await settle(app)
    to_citizen = fake_sent(app)
    assert to_citizen[0].startswith("🙋 Tình nguyện viên Lan đã nhận")
    assert to_citizen[1:] == ["💬 Lan (tình nguyện viên):\nBác vào mục Cài đặt ạ"]

    # Only the claimer hands it on; then anyone may claim it again.
    assert await dispatcher.handle(group_message("/chuyen", user="v2", thread_id=thread)) == []
    assert (await only_ticket(app)).volunteer_id == "v1"
    await dispatcher.handle(group_message("/chuyen", user="v1", thread_id=thread))
    ticket = await only_ticket(app)
    assert (ticket.status, ticket.volunteer_id) == (TicketStatus.WAITING, None)
    await dispatcher.handle(group_message(payload="desk:claim:1", user="v2", name="Minh"))
    await dispatcher.handle(group_message(payload="desk:return:1", user="v2"))
    await settle(app)
    assert "chuyển bạn lại cho trợ lý" in fake_sent(app)[-1]
    async with app.open_db() as db:
        conversation = await load_conversation(db, "fake", "asks-the-group", app.clock.now())
    assert conversation.flow is None  # back with the bot without writing first
    closed = await dispatcher.handle(
        group_message("Còn gì không bác?", user="v2", thread_id=thread)
    )
    assert "đã đóng" in joined(closed)


async def test_a_reply_to_a_tickets_message_finds_the_ticket_without_topics(
    desk_app: Wired,
) -> None:
    app, dispatcher, desk = desk_app
    desk.check = GroupCheck(True, topics=False)
    await refresh_check(app, force=True)
    chat = Chat(dispatcher, "no-topics")
    await open_ticket(chat)
    await settle(app)
    assert (await only_ticket(app)).thread_id is None
    await dispatcher.handle(group_message(payload="desk:claim:1", user="v1"))
    card_id = "500"  # the fake desk numbers messages from 500; the card went first
    await dispatcher.handle(group_message("Bác thử lại nhé", user="v1", reply_to=card_id))
    await dispatcher.handle(group_message("Chuyện khác", user="v1", reply_to="9999"))
    await settle(app)
    assert fake_sent(app)[-1] == "💬 Lan (tình nguyện viên):\nBác thử lại nhé"


async def test_claims_race_one_wins(desk_app: Wired) -> None:
    """Two claims in two transactions at the same time (truly parallel on PostgreSQL)."""
    app, dispatcher, _ = desk_app
    await open_ticket(Chat(dispatcher, "raced"))

    async def claim(volunteer: str) -> bool:
        async with app.transaction() as db:
            return await tickets.claim(db, 1, volunteer, volunteer, app.clock.now())

    results = await asyncio.gather(*(claim(f"v{n}") for n in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_one_reminder_then_giving_up_counts_only_duty_hours(
    desk_app: Wired, clock: ManualClock
) -> None:
    app, dispatcher, desk = desk_app
    chat = Chat(dispatcher, "waits")
    await open_ticket(chat)
    await settle(app)
    clock.advance(timedelta(minutes=10))
    await settle(app)
    await settle(app)
    assert sum("vẫn đang chờ" in text for text in desk.texts()) == 1
    clock.advance(timedelta(minutes=50))
    await settle(app)
    assert "chưa có tình nguyện viên nào rảnh" in fake_sent(app)[-1]
    assert (await only_ticket(app)).outcome == TicketOutcome.UNCLAIMED
    assert "không ai nhận kịp" in next(iter(desk.edits.values())).text
    assert "gặp người thật" not in joined(await chat.say("quên mật khẩu vneid"))  # bot again


async def test_a_rating_counts_once_and_only_for_ones_own_ticket(desk_app: Wired) -> None:
    app, dispatcher, _ = desk_app
    chat = Chat(dispatcher, "rater")
    await open_ticket(chat)
    await settle(app)
    await dispatcher.handle(group_message(payload="desk:claim:1", user="v1"))
    thread = (await only_ticket(app)).thread_id
    await dispatcher.handle(group_message("Xong rồi ạ", user="v1", thread_id=thread))
    await dispatcher.handle(group_message(payload="desk:close:1", user="v1"))
    assert "Cảm ơn" in joined(await Chat(dispatcher, "someone-else").press("volunteer:rate:1:no"))
    assert (await only_ticket(app)).rating is None
    await chat.press("volunteer:rate:1:yes")
    await chat.press("volunteer:rate:1:no")
    assert (await only_ticket(app)).rating == "helpful"
    async with app.open_db() as db:
        authors = [m.author for m in await tickets.messages_of(db, 1)]
    assert authors == [TicketAuthor.CITIZEN, TicketAuthor.VOLUNTEER]
