"""“Delete my data” leaves nothing keyed to the person in any table; retention trims the rest."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from bot.privacy import person_key
from bot.runtime import tidy_up
from storage import outbox
from storage.inbox import Received
from storage.inbox import store as store_updates
from storage.models import Base
from tests.signup_support import add_sessions, spec
from tests.support import Chat

PERSON = "erase-me-0123456789"
OTHER = "keep-me-9876543210"


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
    async with app.transaction() as db:
        await outbox.enqueue(
            db, outbox.Message("fake", PERSON, {"text": "tin cho bạn"}), app.clock.now()
        )
        await store_updates(
            db, "fake", [Received("u-1", PERSON, {"text": "Phạm Minh Châu"})], app.clock.now()
        )
    before = await everything(app)
    assert mentions(before["signups"], PERSON) and mentions(before["conversations"], PERSON)

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


async def test_retention_trims_what_grows(
    app: AppContext, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    ids = await add_sessions(app, spec("past", day=1))
    await book(Chat(dispatcher, "old"), ids["past"], "Nguyễn Văn An")
    await Chat(dispatcher, "asker").say("giá vàng hôm nay")
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
    assert rows["signups"] and rows["unanswered_questions"]
    await OutboxSender(app).send_due()
    clock.advance(timedelta(days=120))
    await tidy_up(app, dispatcher.router.flows())
    rows = await everything(app)
    assert rows["signups"] == []  # 90 days after the session ended
    assert [row["reply"]["text"] for row in rows["outbox"]] == ["later"]  # pending is kept
    assert rows["conversations"] == []  # idle for 90 days outside any form
    assert rows["unanswered_questions"]  # kept for a year
    clock.advance(timedelta(days=300))
    await tidy_up(app, dispatcher.router.flows())
    assert (await everything(app))["unanswered_questions"] == []
