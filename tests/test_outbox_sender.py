"""The outbox sender: delivery, rate limits, retries, blocked recipients, crash recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.channels.base import PermanentFailure, RecipientUnreachable, RetryAfter, TemporaryFailure
from bot.clock import ManualClock
from bot.context import AppContext
from bot.messages import Reply
from bot.outbox import MAX_ATTEMPTS, OutboxSender
from storage import outbox, outbox_leases, outbox_reports
from storage.conversations import is_blocked, load_conversation
from storage.models import InDoubtPolicy, OutboxMessage
from tests.support import FakeChannel

SENT, PENDING, FAILED = "sent", "pending", "failed"
UNREACHABLE, IN_DOUBT, CANCELLED = "unreachable", "in_doubt", "cancelled"


async def queue(app: AppContext, chat_id: str, text: str, **fields: Any) -> None:
    async with app.open_db() as db, db.begin():
        message = outbox.Message("fake", chat_id, Reply(text).to_dict(), **fields)
        await outbox.enqueue(db, message, app.clock.now())


async def statuses(app: AppContext) -> dict[str, int]:
    async with app.open_db() as db:
        return (await outbox_reports.status_report(db)).by_status


async def test_delivers_in_order(app: AppContext, fake_channel: FakeChannel) -> None:
    for i in range(3):
        await queue(app, "a", f"m{i}")
    assert await OutboxSender(app).send_due() == 3
    assert [reply.text for _, reply in fake_channel.sent] == ["m0", "m1", "m2"]
    assert await statuses(app) == {SENT: 3}


async def test_retry_after_waits_then_sends(
    app: AppContext, fake_channel: FakeChannel, clock: ManualClock
) -> None:
    fake_channel.failures = [RetryAfter(30)]
    await queue(app, "a", "hello")
    sender = OutboxSender(app)
    await sender.send_due()
    assert fake_channel.sent == [] and await statuses(app) == {PENDING: 1}
    clock.advance(timedelta(seconds=10))
    await sender.send_due()
    assert fake_channel.sent == []
    clock.advance(timedelta(seconds=25))
    await sender.send_due()
    assert [reply.text for _, reply in fake_channel.sent] == ["hello"]


async def test_temporary_failures_back_off_then_give_up(
    app: AppContext, fake_channel: FakeChannel, clock: ManualClock
) -> None:
    fake_channel.failures = [TemporaryFailure("502")] * MAX_ATTEMPTS
    await queue(app, "a", "hello")
    sender = OutboxSender(app)
    for _ in range(MAX_ATTEMPTS):
        await sender.send_due()
        clock.advance(timedelta(minutes=10))
    assert await statuses(app) == {FAILED: 1}
    assert fake_channel.sent == []


async def test_blocked_recipient_is_marked_unreachable(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    async with app.open_db() as db, db.begin():
        await load_conversation(db, "fake", "a", app.clock.now())
    fake_channel.failures = [RecipientUnreachable("bot was blocked by the user")]
    await queue(app, "a", "hello")
    await queue(app, "b", "other")
    await OutboxSender(app).send_due()
    assert await statuses(app) == {UNREACHABLE: 1, SENT: 1}
    async with app.open_db() as db:
        assert await is_blocked(db, "fake", "a")


async def test_permanent_failure_does_not_stop_others(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    fake_channel.failures = [PermanentFailure("chat not found")]
    await queue(app, "a", "x")
    await queue(app, "b", "y")
    await OutboxSender(app).send_due()
    assert await statuses(app) == {FAILED: 1, SENT: 1}


async def test_a_crash_leaves_only_the_row_on_the_wire_in_doubt(
    app: AppContext, fake_channel: FakeChannel, clock: ManualClock
) -> None:
    """A batch is leased, one row is on the wire when the process dies: after the restart
    the rest is sent, the one on the wire is resent or reported as its policy says."""
    await queue(app, "a", "seat", on_doubt=InDoubtPolicy.RESEND)
    await queue(app, "b", "news")
    for i in range(5):
        await queue(app, f"c{i}", f"never tried {i}")
    lease = timedelta(minutes=1)
    async with app.open_db() as db, db.begin():
        rows = await outbox_leases.claim(db, "dead", app.clock.now(), lease, 10, ["fake"])
        for row in rows[:2]:  # both on the wire...
            await outbox_leases.begin_send(db, [row.id], "dead", app.clock.now(), lease)
    # ...when the process is killed. A new one starts. On SQLite it is the only sender and
    # takes over every lease at once; on PostgreSQL other workers may be alive, so the dead
    # one's leases are taken over when they expire.
    sole = app.engine.dialect.name == "sqlite"
    if not sole:
        clock.advance(timedelta(minutes=3))
    sender = OutboxSender(app)
    found = await sender.recover()
    assert (found.resent, found.in_doubt, found.released) == (1, 1, 5 if sole else 0)
    await sender.send_due()
    assert sorted(reply.text for _, reply in fake_channel.sent) == sorted(
        ["seat"] + [f"never tried {i}" for i in range(5)]
    )
    assert await statuses(app) == {SENT: 6, IN_DOUBT: 1}


async def test_a_row_withdrawn_while_waiting_is_not_sent(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    await queue(app, "a", "reminder", source="campaign:test")
    sender = OutboxSender(app)
    async with app.open_db() as db, db.begin():
        (row,) = await outbox_leases.claim(
            db, sender.owner, app.clock.now(), timedelta(minutes=1), 10, ["fake"]
        )
        # The person opts out after the row was leased, before it went on the wire.
        assert (
            await outbox.withdraw(db, OutboxMessage.source == "campaign:test", reason="stop") == 1
        )
    assert await sender._deliver(row)
    assert fake_channel.sent == []
    assert await statuses(app) == {CANCELLED: 1}
