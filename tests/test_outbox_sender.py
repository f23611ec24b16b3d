"""The outbox sender: delivery, rate limits, retries, blocked recipients, crash recovery."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.base import PermanentFailure, RecipientUnreachable, RetryAfter, TemporaryFailure
from bot.clock import ManualClock
from bot.context import AppContext
from bot.messages import Reply
from bot.outbox import MAX_ATTEMPTS, OutboxSender
from storage import outbox
from storage.conversations import is_blocked, load_conversation
from tests.support import FakeChannel


async def queue(app: AppContext, chat_id: str, text: str) -> None:
    async with app.sessions() as db, db.begin():
        await outbox.enqueue(
            db, channel="fake", chat_id=chat_id, reply=Reply(text).to_dict(), now=app.clock.now()
        )


async def statuses(app: AppContext) -> dict[str, int]:
    async with app.sessions() as db:
        return await outbox.count_by_status(db)


async def test_delivers_in_order(app: AppContext, fake_channel: FakeChannel) -> None:
    for i in range(3):
        await queue(app, "a", f"m{i}")
    assert await OutboxSender(app).send_due() == 3
    assert [reply.text for _, reply in fake_channel.sent] == ["m0", "m1", "m2"]
    assert await statuses(app) == {outbox.SENT: 3}


async def test_retry_after_waits_then_sends(
    app: AppContext, fake_channel: FakeChannel, clock: ManualClock
) -> None:
    fake_channel.failures = [RetryAfter(30)]
    await queue(app, "a", "hello")
    sender = OutboxSender(app)
    await sender.send_due()
    assert fake_channel.sent == [] and await statuses(app) == {outbox.PENDING: 1}
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
    assert await statuses(app) == {outbox.FAILED: 1}
    assert fake_channel.sent == []


async def test_blocked_recipient_is_marked_unreachable(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    async with app.sessions() as db, db.begin():
        await load_conversation(db, "fake", "a", app.clock.now())
    fake_channel.failures = [RecipientUnreachable("bot was blocked by the user")]
    await queue(app, "a", "hello")
    await queue(app, "b", "other")
    await OutboxSender(app).send_due()
    assert await statuses(app) == {outbox.UNREACHABLE: 1, outbox.SENT: 1}
    async with app.sessions() as db:
        assert await is_blocked(db, "fake", "a")


async def test_permanent_failure_does_not_stop_others(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    fake_channel.failures = [PermanentFailure("chat not found")]
    await queue(app, "a", "x")
    await queue(app, "b", "y")
    await OutboxSender(app).send_due()
    assert await statuses(app) == {outbox.FAILED: 1, outbox.SENT: 1}


async def test_rows_in_flight_at_a_crash_are_not_resent(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    await queue(app, "a", "x")
    async with app.sessions() as db, db.begin():
        await outbox.claim_due(db, app.clock.now(), 10, ["fake"])  # then the process "dies"
    sender = OutboxSender(app)
    assert await sender.recover() == 1
    await sender.send_due()
    assert fake_channel.sent == []
    assert await statuses(app) == {outbox.INTERRUPTED: 1}
