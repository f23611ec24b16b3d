"""Storage query functions, on SQLite and on PostgreSQL when it is reachable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.context import AppContext
from storage import outbox, unanswered, web_mailbox
from storage.conversations import is_blocked, load_conversation, mark_blocked
from storage.db import current_revision
from storage.dedupe import claim_update, forget_updates_before
from storage.models import Conversation
from tests.conftest import START


async def test_schema_is_at_head(app: AppContext) -> None:
    assert await current_revision(app.engine) is not None


async def test_conversation_created_once_even_when_raced(app: AppContext) -> None:
    async def load() -> int:
        async with app.sessions() as db, db.begin():
            return (await load_conversation(db, "web", "abc", START)).id

    ids = await asyncio.gather(*(load() for _ in range(8)))
    assert len(set(ids)) == 1
    async with app.sessions() as db:
        rows = (await db.execute(select(Conversation))).scalars().all()
    assert len(rows) == 1


async def test_times_come_back_as_aware_utc(app: AppContext) -> None:
    local = datetime(2026, 10, 1, 8, 30, tzinfo=UTC) + timedelta(hours=0)
    async with app.sessions() as db, db.begin():
        row = await load_conversation(db, "web", "tz", local)
    async with app.sessions() as db:
        again = await load_conversation(db, "web", "tz", START)
    assert again.id == row.id
    assert again.created_at == local
    assert again.created_at.tzinfo is not None


async def test_blocked_flag_round_trip(app: AppContext) -> None:
    async with app.sessions() as db, db.begin():
        await load_conversation(db, "telegram", "42", START)
        await mark_blocked(db, "telegram", "42", START)
    async with app.sessions() as db:
        assert await is_blocked(db, "telegram", "42")
        assert not await is_blocked(db, "telegram", "43")


async def test_update_claimed_once(app: AppContext) -> None:
    async with app.sessions() as db, db.begin():
        assert await claim_update(db, "telegram", "1001", START)
    async with app.sessions() as db, db.begin():
        assert not await claim_update(db, "telegram", "1001", START)
        assert await claim_update(db, "web", "1001", START)  # ids are per channel
    async with app.sessions() as db, db.begin():
        assert await forget_updates_before(db, START + timedelta(seconds=1)) == 2
    async with app.sessions() as db, db.begin():
        assert await claim_update(db, "telegram", "1001", START)


async def test_outbox_dedupe_key_and_claim_order(app: AppContext) -> None:
    async with app.sessions() as db, db.begin():
        assert await outbox.enqueue(
            db, channel="fake", chat_id="a", reply={"text": "1"}, now=START, dedupe_key="k1"
        )
        assert not await outbox.enqueue(
            db, channel="fake", chat_id="a", reply={"text": "dup"}, now=START, dedupe_key="k1"
        )
        await outbox.enqueue(
            db,
            channel="fake",
            chat_id="b",
            reply={"text": "later"},
            now=START,
            not_before=START + timedelta(hours=1),
        )
        await outbox.enqueue(db, channel="other", chat_id="c", reply={"text": "x"}, now=START)
    async with app.sessions() as db, db.begin():
        rows = await outbox.claim_due(db, START, 10, ["fake"])
    assert [row.reply["text"] for row in rows] == ["1"]
    async with app.sessions() as db, db.begin():
        assert await outbox.claim_due(db, START, 10, ["fake"]) == []
        assert await outbox.recover_interrupted(db) == 1
        counts = await outbox.count_by_status(db)
    assert counts == {outbox.INTERRUPTED: 1, outbox.PENDING: 2}


async def test_web_mailbox_taken_once(app: AppContext) -> None:
    async with app.sessions() as db, db.begin():
        await web_mailbox.put(db, "s1", {"text": "a", "buttons": []}, START)
        await web_mailbox.put(db, "s1", {"text": "b", "buttons": []}, START)
        await web_mailbox.put(db, "s2", {"text": "c", "buttons": []}, START)
    async with app.sessions() as db, db.begin():
        assert [r["text"] for r in await web_mailbox.take_all(db, "s1")] == ["a", "b"]
    async with app.sessions() as db, db.begin():
        assert await web_mailbox.take_all(db, "s1") == []


async def test_unanswered_stores_unicode_and_sql_looking_text(app: AppContext) -> None:
    text = "'; DROP TABLE conversations; -- 🙏 thời tiết hôm nay"
    async with app.sessions() as db, db.begin():
        await unanswered.record(
            db, channel="web", text=text, best_faq_id=None, best_score=12.5,
            action="fallback", now=START,
        )
    async with app.sessions() as db:
        rows = await unanswered.list_since(db)
        assert [row.text for row in rows] == [text]
        # the conversations table is still there
        await db.execute(select(Conversation))
