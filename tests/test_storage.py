"""Storage query functions, on SQLite and on PostgreSQL when it is reachable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.context import AppContext
from storage import outbox, outbox_leases, outbox_reports, unanswered, web_mailbox
from storage.conversations import is_blocked, load_conversation, mark_blocked
from storage.db import current_revision
from storage.dedupe import claim_update, forget_updates_before
from storage.models import Conversation, InDoubtPolicy
from tests.conftest import START


async def test_schema_is_at_head(app: AppContext) -> None:
    assert await current_revision(app.engine) is not None


async def test_conversation_created_once_even_when_raced(app: AppContext) -> None:
    async def load() -> int:
        async with app.open_db() as db, db.begin():
            return (await load_conversation(db, "web", "abc", START)).id

    ids = await asyncio.gather(*(load() for _ in range(8)))
    assert len(set(ids)) == 1
    async with app.open_db() as db:
        rows = (await db.execute(select(Conversation))).scalars().all()
    assert len(rows) == 1


async def test_times_come_back_as_aware_utc(app: AppContext) -> None:
    local = datetime(2026, 10, 1, 8, 30, tzinfo=UTC) + timedelta(hours=0)
    async with app.open_db() as db, db.begin():
        row = await load_conversation(db, "web", "tz", local)
    async with app.open_db() as db:
        again = await load_conversation(db, "web", "tz", START)
    assert again.id == row.id
    assert again.created_at == local
    assert again.created_at.tzinfo is not None


async def test_blocked_flag_round_trip(app: AppContext) -> None:
    async with app.open_db() as db, db.begin():
        await load_conversation(db, "telegram", "42", START)
        await mark_blocked(db, "telegram", "42", START)
    async with app.open_db() as db:
        assert await is_blocked(db, "telegram", "42")
        assert not await is_blocked(db, "telegram", "43")


async def test_update_claimed_once(app: AppContext) -> None:
    async with app.open_db() as db, db.begin():
        assert await claim_update(db, "telegram", "1001", START)
    async with app.open_db() as db, db.begin():
        assert not await claim_update(db, "telegram", "1001", START)
        assert await claim_update(db, "web", "1001", START)  # ids are per channel
    async with app.open_db() as db, db.begin():
        assert await forget_updates_before(db, START + timedelta(seconds=1)) == 2
    async with app.open_db() as db, db.begin():
        assert await claim_update(db, "telegram", "1001", START)


def message(chat_id: str, text: str, **fields: Any) -> outbox.Message:
    return outbox.Message(
        channel=fields.pop("channel", "fake"), chat_id=chat_id, reply={"text": text}, **fields
    )


async def test_outbox_dedupe_key_priority_and_claim_order(app: AppContext) -> None:
    async with app.open_db() as db, db.begin():
        assert await outbox.enqueue(db, message("a", "1", dedupe_key="k1"), START)
        assert not await outbox.enqueue(db, message("a", "dup", dedupe_key="k1"), START)
        await outbox.enqueue(
            db, message("b", "later", not_before=START + timedelta(hours=1)), START
        )
        await outbox.enqueue(db, message("c", "x", channel="other"), START)
        await outbox.enqueue(db, message("d", "urgent", priority=outbox.Priority.REPLY), START)
    async with app.open_db() as db, db.begin():
        rows = await outbox_leases.claim(db, "w1", START, timedelta(minutes=1), 10, ["fake"])
    assert [row.reply["text"] for row in rows] == ["urgent", "1"]
    async with app.open_db() as db, db.begin():
        # Leased rows are not claimed again while the lease holds...
        assert await outbox_leases.claim(db, "w2", START, timedelta(minutes=1), 10, ["fake"]) == []
    async with app.open_db() as db, db.begin():
        # ...and are free once it expires (their sender died before trying them).
        later = START + timedelta(minutes=2)
        again = await outbox_leases.claim(db, "w2", later, timedelta(minutes=1), 10, ["fake"])
        assert [row.reply["text"] for row in again] == ["urgent", "1"]
        # The first owner lost them: it may not put them on the wire any more.
        assert not await outbox_leases.begin_send(
            db, [again[0].id], "w1", later, timedelta(minutes=1)
        )
        assert await outbox_leases.begin_send(db, [again[0].id], "w2", later, timedelta(minutes=1))
        report = await outbox_reports.status_report(db)
    assert report.by_status == {"sending": 1, "pending": 3}


async def test_recovery_resends_or_reports_by_policy(app: AppContext) -> None:
    lease = timedelta(minutes=1)
    async with app.open_db() as db, db.begin():
        await outbox.enqueue(db, message("a", "seat", on_doubt=InDoubtPolicy.RESEND), START)
        await outbox.enqueue(db, message("b", "broadcast"), START)
        await outbox.enqueue(db, message("c", "never tried"), START)
        rows = await outbox_leases.claim(db, "dead", START, lease, 10, ["fake"])
        for row in rows[:2]:
            assert await outbox_leases.begin_send(db, [row.id], "dead", START, lease)
    async with app.open_db() as db, db.begin():
        # A live sender's rows are left alone until their lease expires.
        found = await outbox_leases.recover(db, START + timedelta(seconds=30), sole_sender=False)
        assert found == outbox_leases.Recovery(resent=0, in_doubt=0, released=0)
        found = await outbox_leases.recover(db, START + timedelta(minutes=5), sole_sender=False)
        assert found == outbox_leases.Recovery(resent=1, in_doubt=1, released=0)
        report = await outbox_reports.status_report(db)
    assert report.by_status == {"pending": 2, "in_doubt": 1}
    assert (report.in_doubt_resent, report.in_doubt_not_resent) == (1, 1)


async def test_sole_sender_recovery_releases_every_lease_at_once(app: AppContext) -> None:
    async with app.open_db() as db, db.begin():
        await outbox.enqueue(db, message("a", "x"), START)
        await outbox_leases.claim(db, "dead", START, timedelta(hours=1), 10, ["fake"])
    async with app.open_db() as db, db.begin():
        found = await outbox_leases.recover(db, START, sole_sender=True)
        assert found.released == 1
        rows = await outbox_leases.claim(db, "me", START, timedelta(minutes=1), 10, ["fake"])
    assert len(rows) == 1


async def test_web_mailbox_taken_once(app: AppContext) -> None:
    async with app.open_db() as db, db.begin():
        await web_mailbox.put(db, "s1", {"text": "a", "buttons": []}, START)
        await web_mailbox.put(db, "s1", {"text": "b", "buttons": []}, START)
        await web_mailbox.put(db, "s2", {"text": "c", "buttons": []}, START)
    async with app.open_db() as db, db.begin():
        assert [r["text"] for r in await web_mailbox.take_all(db, "s1")] == ["a", "b"]
    async with app.open_db() as db, db.begin():
        assert await web_mailbox.take_all(db, "s1") == []


async def test_unanswered_stores_unicode_and_sql_looking_text(app: AppContext) -> None:
    text = "'; DROP TABLE conversations; -- 🙏 thời tiết hôm nay"
    async with app.open_db() as db, db.begin():
        await unanswered.record(
            db,
            channel="web",
            text=text,
            best_faq_id=None,
            best_score=12.5,
            action="fallback",
            now=START,
        )
    async with app.open_db() as db:
        rows = await unanswered.list_since(db)
        assert [row.text for row in rows] == [text]
        # the conversations table is still there
        await db.execute(select(Conversation))


async def test_the_migrations_build_exactly_the_models(app: AppContext) -> None:
    """Schema changes go through migrations: after them, nothing differs from the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.models import Base

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))

    async with app.engine.connect() as connection:
        found = await connection.run_sync(differences)
    assert found == []
