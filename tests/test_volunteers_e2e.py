"""The volunteer desk end to end: the real python-telegram-bot stack against the fake Bot API
(a volunteer group with or without topics, several volunteers), citizens on the web chat
(through its API) and on Telegram."""

from __future__ import annotations

import html
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.clock import VN_TZ, ManualClock
from bot.config import Settings
from bot.context import Knowledge
from bot.runtime import Runtime
from handlers.volunteers.jobs import run_desk
from handlers.volunteers.lifecycle import DESK_JOB
from storage import tickets
from storage.models import Ticket, TicketOutcome, TicketRating, TicketStatus
from tests.fake_telegram import FakeTelegram
from tests.volunteer_support import (
    GROUP,
    LAN,
    MINH,
    STRANGER,
    WebCitizen,
    arrived,
    collect,
    data_of,
    desk_bot,
    edited_to,
    edits_of,
    group_says,
    group_sent,
    only_ticket,
    payloads_of,
    text_of,
    wait_card,
)

CITIZEN = 740000004


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_web_citizen_reaches_a_volunteer_and_back(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    http: aiohttp.ClientSession,
) -> None:
    fake.add_group(GROUP, forum=True, members={LAN: "Lan", MINH: "Minh"})
    async with desk_bot(settings, clock, knowledge, fake) as runtime:
        citizen = WebCitizen(http, f"http://127.0.0.1:{runtime.web_port}")
        [warning] = await citizen.say("cho tôi gặp người thật")
        assert "người thật" in warning["text"]
        assert "căn cước" in warning["text"] and "OTP" in warning["text"]
        [opened] = await citizen.say("Tôi đăng nhập VNeID cứ báo sai mật khẩu, phải làm sao?")
        assert "phiếu số 1" in opened["text"] and "07:30" in opened["text"]

        card = await wait_card(fake, 1)
        [topic] = fake.groups[str(GROUP)].topics
        assert int(card["message_thread_id"]) == topic
        assert "sai mật khẩu" in text_of(card) and "trang web" in text_of(card)
        assert data_of(card) == ["desk:claim:1"]
        # While it waits, more from the citizen goes to the topic, and the bot is silent.
        assert await citizen.say("Điện thoại của tôi là Android") == []
        await fake.wait_for(group_says(fake, "Android"))

        # Two volunteers race for it: one wins, the other's tap changes nothing.
        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=MINH, first_name="Minh"
        )
        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=LAN, first_name="Lan"
        )
        await fake.wait_for(edited_to(fake, card["message_id"], "đang hỗ trợ"))
        edited = edits_of(fake, card["message_id"])[-1]
        assert "Minh đang hỗ trợ" in html.unescape(edited["text"])
        assert "desk:claim:1" not in str(edited.get("reply_markup"))
        assert (await only_ticket(runtime.app)).volunteer_name == "Minh"

        # Lan's word in the topic stays in the group; Minh's answer reaches the citizen.
        fake.message(GROUP, "Minh trả lời nhé", user_id=LAN, first_name="Lan", thread_id=topic)
        fake.message(
            GROUP,
            "Bác bấm “Quên mật khẩu” rồi làm theo hướng dẫn ạ.",
            user_id=MINH,
            first_name="Minh Trần",
            thread_id=topic,
        )
        replies = await collect(citizen, arrived("Quên mật khẩu"))
        texts = [r["text"] for r in replies]
        assert any("Tình nguyện viên Minh đã nhận" in t for t in texts)
        answer = next(t for t in texts if "Quên mật khẩu" in t)
        assert answer.startswith("💬 Minh (tình nguyện viên)") and "Trần" not in answer
        assert not any("Minh trả lời nhé" in t for t in texts)

        # The update delivered again (the bot restarted before confirming it) relays once.
        fake.rewind()
        fake.message(
            GROUP, "Bác thử lại giúp cháu nhé", user_id=MINH, first_name="Minh", thread_id=topic
        )
        more = await collect(citizen, arrived("thử lại"))
        assert not any("Quên mật khẩu" in r["text"] for r in more)

        [ended] = await citizen.say("kết thúc")
        assert "kết thúc" in ended["text"]
        assert "volunteer:rate:1:yes" in payloads_of([ended])
        await fake.wait_for(group_says(fake, "đã kết thúc trò chuyện"))
        [thanks] = await citizen.press("volunteer:rate:1:yes")
        assert "Cảm ơn" in thanks["text"]
        ticket = await only_ticket(runtime.app)
        assert (ticket.status, ticket.outcome, ticket.rating) == (
            TicketStatus.CLOSED,
            TicketOutcome.ENDED,
            TicketRating.HELPFUL,
        )
        # Back with the bot: a question gets the FAQ's answer.
        [answer_reply] = await citizen.say("quên mật khẩu vneid")
        assert "VNeID" in answer_reply["text"]


async def test_telegram_citizen_sends_a_screenshot_and_gets_a_picture_back(
    settings: Settings, clock: ManualClock, knowledge: Knowledge, fake: FakeTelegram
) -> None:
    """A group without topics: the card and relays are messages, answers are replies."""
    fake.add_group(GROUP, forum=False, members={MINH: "Minh"})
    async with desk_bot(settings, clock, knowledge, fake) as runtime:
        fake.message(CITIZEN, "/tinhnguyenvien")
        [warning] = await fake.wait_messages(CITIZEN, 1)
        assert "OTP" in text_of(warning)
        fake.photo(CITIZEN, file_id="AgAC-screen", caption="Máy báo lỗi này là sao ạ?")
        opened = (await fake.wait_messages(CITIZEN, 2))[-1]
        assert "phiếu số 1" in text_of(opened)

        card = await wait_card(fake, 1)
        assert "Máy báo lỗi này là sao ạ?" in text_of(card) and "kèm một ảnh" in text_of(card)
        assert "message_thread_id" not in card and fake.groups[str(GROUP)].topics == {}
        await fake.wait_for(lambda: any(m.get("photo") == "AgAC-screen" for m in group_sent(fake)))
        relayed_photo = next(m for m in group_sent(fake) if m.get("photo") == "AgAC-screen")
        assert "gửi ảnh" in text_of(relayed_photo)

        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=MINH, first_name="Minh"
        )
        claimed = (await fake.wait_messages(CITIZEN, 3))[-1]
        assert "Minh đã nhận" in text_of(claimed)
        # Replies to any of the ticket's messages in the group belong to the ticket.
        fake.message(
            GROUP,
            "Bác chụp giúp cháu màn hình trước đó nữa nhé.",
            user_id=MINH,
            first_name="Minh",
            reply_to=relayed_photo["message_id"],
        )
        answer = (await fake.wait_messages(CITIZEN, 4))[-1]
        assert text_of(answer).startswith("💬 Minh (tình nguyện viên):")
        fake.photo(
            GROUP,
            file_id="AgAC-guide",
            caption="Bác bấm vào đây ạ",
            user_id=MINH,
            first_name="Minh",
            reply_to=card["message_id"],
        )
        picture = (await fake.wait_messages(CITIZEN, 5))[-1]
        assert picture["photo"] == "AgAC-guide" and "Bác bấm vào đây ạ" in text_of(picture)

        fake.callback(
            GROUP, "desk:close:1", message_id=card["message_id"], user_id=MINH, first_name="Minh"
        )
        closing = (await fake.wait_messages(CITIZEN, 6))[-1]
        assert "Minh đã kết thúc" in text_of(closing)
        assert "volunteer:rate:1:yes" in data_of(closing)
        await fake.wait_for(edited_to(fake, card["message_id"], "desk:save:1"))
        fake.callback(
            GROUP, "desk:save:1", message_id=card["message_id"], user_id=MINH, first_name="Minh"
        )
        await fake.wait_for(group_says(fake, "bản nháp #1"))
        # The citizen is back with the bot.
        fake.message(CITIZEN, "quên mật khẩu vneid")
        back = (await fake.wait_messages(CITIZEN, 7))[-1]
        assert "VNeID" in text_of(back)
    ticket = await only_ticket(runtime.app)
    assert ticket.outcome == TicketOutcome.CLOSED


async def test_reminder_giving_up_within_the_hours_and_idle_close(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    http: aiohttp.ClientSession,
) -> None:
    """Waiting counts only within VOLUNTEER_HOURS (07:30-21:00); the clock is moved by hand."""
    fake.add_group(GROUP, forum=True, members={LAN: "Lan"})
    clock.set(vietnam(2026, 9, 28, 20, 40))
    async with desk_bot(settings, clock, knowledge, fake) as runtime:
        app, base = runtime.app, f"http://127.0.0.1:{runtime.web_port}"
        first = WebCitizen(http, base)
        await first.say("gặp tình nguyện viên")
        [opened] = await first.say("Cho tôi hỏi nộp hồ sơ cấp đổi căn cước ở đâu?")
        assert "trực từ 07:30 đến 21:00" in opened["text"] and "60 phút" in opened["text"]
        card = await wait_card(fake, 1)

        clock.advance(timedelta(minutes=10))
        app.wake(DESK_JOB)
        await fake.wait_for(group_says(fake, "vẫn đang chờ"))
        reminder = next(m for m in group_sent(fake) if "vẫn đang chờ" in text_of(m))
        assert data_of(reminder) == ["desk:claim:1"]

        clock.set(vietnam(2026, 9, 28, 22, 0))  # 20 minutes on duty so far
        late = WebCitizen(http, base)
        await late.say("gặp người thật")
        [after_hours] = await late.say("Làm sao đổi số điện thoại trên VNeID?")
        assert "ngoài giờ trực" in after_hours["text"]
        assert "từ 07:30 ngày mai" in after_hours["text"]

        clock.set(vietnam(2026, 9, 29, 8, 9))  # 59 minutes on duty
        await run_desk(app)
        assert (await ticket_of(runtime, 1)).status == TicketStatus.WAITING
        clock.advance(timedelta(minutes=1))
        await run_desk(app)
        assert (await ticket_of(runtime, 1)).outcome == TicketOutcome.UNCLAIMED
        told = await collect(first, arrived("chưa có tình nguyện viên"))
        assert "signup:start" in payloads_of(told)
        await fake.wait_for(edited_to(fake, card["message_id"], "không ai nhận kịp"))
        # The reminder's button goes too.
        await fake.wait_for(
            edited_to(fake, reminder["message_id"], "đã có người nhận hoặc đã đóng")
        )
        assert "desk:claim" not in str(edits_of(fake, reminder["message_id"])[-1])

        # A claimed ticket with no message for 24 hours closes itself; both are told.
        second = await wait_card(fake, 2)
        fake.callback(
            GROUP, "desk:claim:2", message_id=second["message_id"], user_id=LAN, first_name="Lan"
        )
        await collect(late, arrived("Lan đã nhận"))
        clock.advance(timedelta(hours=24))
        await run_desk(app)
        await collect(late, arrived("tự kết thúc"))
        await fake.wait_for(group_says(fake, "tự đóng sau 24 giờ"))
        assert (await ticket_of(runtime, 2)).outcome == TicketOutcome.IDLE


async def test_only_members_of_the_group_may_claim(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="handlers.volunteers")
    fake.add_group(GROUP, forum=True, members={LAN: "Lan"})
    async with desk_bot(settings, clock, knowledge, fake) as runtime:
        citizen = WebCitizen(http, f"http://127.0.0.1:{runtime.web_port}")
        await citizen.say("gap tnv")
        await citizen.say("Tôi muốn hỏi về thanh toán học phí bằng QR")
        card = await wait_card(fake, 1)
        # A public group's visitor sees the button too; their tap is refused and logged.
        fake.callback(
            GROUP,
            "desk:claim:1",
            message_id=card["message_id"],
            user_id=STRANGER,
            first_name="Khách",
        )
        fake.callback(
            GROUP, "desk:claim:1", message_id=card["message_id"], user_id=LAN, first_name="Lan"
        )
        await collect(citizen, arrived("Lan đã nhận"))
        assert (await only_ticket(runtime.app)).volunteer_id == str(LAN)
        # A message from a group that is not the volunteer group is ignored too.
        fake.add_group(-1005555, members={STRANGER: "Khách"})
        fake.message(-1005555, "xin chào", user_id=STRANGER)
        await fake.wait_for(lambda: "not the volunteer group" in caplog.text)
    assert "claim on ticket 1 by a non-member ignored" in caplog.text


async def ticket_of(runtime: Runtime, ticket_id: int) -> Ticket:
    async with runtime.app.open_db() as db:
        ticket = await tickets.get(db, ticket_id)
    assert ticket is not None
    return ticket


def vietnam(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN_TZ)
