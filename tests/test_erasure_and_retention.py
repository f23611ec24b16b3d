"""“Delete my data” leaves nothing keyed to the person in any table; retention trims the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from bot.privacy import person_key
from bot.runtime import prepare, tidy_up
from storage import outbox, tickets
from storage.inbox import Received
from storage.inbox import store as store_updates
from storage.models import Base
from tests.signup_support import add_sessions, spec
from tests.support import Chat, FakeChannel
from tests.volunteer_support import attach_desk, desk_settings, group_message, settle

PERSON = "erase-me-0123456789"
OTHER = "keep-me-9876543210"


@pytest.fixture
async def wired(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[tuple[AppContext, Dispatcher]]:
    """The app with a volunteer desk too, so that tickets are among the tables."""
    app, dispatcher = await prepare(desk_settings(settings), clock, knowledge)
    app.channels["fake"] = FakeChannel()
    desk = await attach_desk(app)
    desk.members = {"volunteer-1"}
    try:
        yield app, dispatcher
    finally:
        await app.close()


async def talk_to_a_volunteer(app: AppContext, dispatcher: Dispatcher, chat: Chat) -> None:
    """A ticket with the person's words on both sides, posted in the group and answered."""
    await chat.press("volunteer:start")
    await chat.say("Phạm Minh Châu đây, cài VNeID bị lỗi")
    await settle(app)
    async with app.open_db() as db:
        ticket = await tickets.open_for_chat(db, chat.channel, chat.chat_id)
    assert ticket is not None and ticket.thread_id is not None
    claim = group_message(payload=f"desk:claim:{ticket.id}", user="volunteer-1")
    await dispatcher.handle(claim)
    answer = group_message("Chào bác Châu", user="volunteer-1", thread_id=ticket.thread_id)
    await dispatcher.handle(answer)
    await settle(app)


async def everything(app: AppContext) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as dicts (the test looks through all of them)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with app.open_db() as db:
        for table in Base.metadata.sorted_tables:
            rows = (await db.execute(select(table))).mappings().all()
            tables[table.name] = [dict(row) for row in rows]
    return tables


def mentions(rows: list[dict[str, Any]], needle: str) -> list[dict[str, Any]]:
    return [row for row in rows if needle in repr(row)]


async def book(chat: Chat, session_id: int, name: str, *, waitlist: bool = False) -> None:
    await chat.say("đăng ký buổi hỗ trợ")
    await chat.press(f"signup:pick:{session_id}")
    if waitlist:
        await chat.press("signup:wait")
    await chat.press("signup:consent:yes")
    await chat.say(name)
    await chat.say("0912345678")
    await chat.say("Cài VNeID")
    await chat.press("signup:confirm")


async def test_delete_my_data_reaches_every_table(app: AppContext, dispatcher: Dispatcher) -> None:
    ids = await add_sessions(app, spec("a", capacity=1), spec("b"))
    person, other = Chat(dispatcher, PERSON), Chat(dispatcher, OTHER)
    await book(person, ids["a"], "Phạm Minh Châu")  # holds the only seat of "a"
    await book(other, ids["a"], "Lê Văn Tám", waitlist=True)  # waits for it
    await book(person, ids["b"], "Phạm Minh Châu")
    await person.say("Phạm Minh Châu hỏi giá vàng hôm nay")  # stored as unanswered
    await other.say("giá xăng hôm nay bao nhiêu")
    await talk_to_a_volunteer(app, dispatcher, person)
    async with app.transaction() as db:
        await outbox.enqueue(
            db, outbox.Message("fake", PERSON, {"text": "tin cho bạn"}), app.clock.now()
        )
        await store_updates(
            db, "fake", [Received("u-1", PERSON, {"text": "Phạm Minh Châu"})], app.clock.now()
        )
    before = await everything(app)
    assert mentions(before["signups"], PERSON) and mentions(before["conversations"], PERSON)
    assert mentions(before["tickets"], PERSON) and mentions(before["ticket_messages"], "Châu")

    await person.press("mydata:confirm")

    after = await everything(app)
    key = person_key(app.privacy_key, "fake", PERSON)
    for table, rows in after.items():
        if table == "inbox":
            # An update not handled yet is kept: its payload is emptied once it is done.
            assert [row["update_id"] for row in rows] == ["u-1"]
            continue
        assert mentions(rows, PERSON) == [], table
        assert mentions(rows, key) == [], table
        assert mentions(rows, "Phạm Minh Châu") == [], table
    # The other person's data is untouched, and they got the freed seat.
    assert mentions(after["signups"], OTHER) and mentions(after["unanswered_questions"], "xăng")
    promoted = [row for row in after["outbox"] if row["kind"] == "signup.promoted"]
    assert [row["chat_id"] for row in promoted] == [OTHER]
    # The volunteers are asked to delete what their group still shows.
    assert any("đã xóa dữ liệu" in row["reply"]["text"] for row in after["outbox"])


async def test_retention_trims_what_grows(
    app: AppContext, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    ids = await add_sessions(app, spec("past", day=1))
    await book(Chat(dispatcher, "old"), ids["past"], "Nguyễn Văn An")
    await Chat(dispatcher, "asker").say("giá vàng hôm nay")
    helped = Chat(dispatcher, "helped")
    await talk_to_a_volunteer(app, dispatcher, helped)
    await dispatcher.handle(group_message(payload="desk:save:1", user="volunteer-1"))  # open
    await helped.say("kết thúc")
    await dispatcher.handle(group_message(payload="desk:save:1", user="volunteer-1"))
    async with app.transaction() as db:
        await outbox.enqueue(db, outbox.Message("fake", "x", {"text": "sent"}), clock.now())
        await outbox.enqueue(
            db,
            outbox.Message(
                "fake", "y", {"text": "later"}, not_before=clock.now() + timedelta(days=400)
            ),
            clock.now(),
        )
    rows = await everything(app)
    assert rows["signups"] and rows["unanswered_questions"] and rows["faq_drafts"]
    await OutboxSender(app).send_due()
    clock.advance(timedelta(days=120))
    await tidy_up(app, dispatcher.router.flows())
    rows = await everything(app)
    assert rows["signups"] == []  # 90 days after the session ended
    assert [row["reply"]["text"] for row in rows["outbox"]] == ["later"]  # pending is kept
    assert rows["conversations"] == []  # idle for 90 days outside any form
    assert rows["unanswered_questions"]  # kept for a year
    assert rows["tickets"] == [] and rows["ticket_messages"] == []  # 90 days after closing
    assert [row["ticket_id"] for row in rows["faq_drafts"]] == [None]  # kept, unlinked
    clock.advance(timedelta(days=300))
    await tidy_up(app, dispatcher.router.flows())
    rows = await everything(app)
    assert rows["unanswered_questions"] == [] and rows["faq_drafts"] == []
