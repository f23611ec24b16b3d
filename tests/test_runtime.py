"""Background work: housekeeping and the outbox loop's wake-ups."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.clock import ManualClock
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.outbox import OutboxSender
from bot.runtime import tidy_up
from storage import outbox
from storage.conversations import load_conversation
from storage.dedupe import claim_update
from tests.support import FakeChannel


async def test_tidy_up_clears_abandoned_forms_and_old_update_ids(
    app: AppContext, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    """Each flow's own timeout: the sign-up form is cleared after FORM_TIMEOUT_HOURS."""
    async with app.transaction() as db:
        old = await load_conversation(db, "fake", "old", clock.now())
        old.flow, old.step, old.data = "signup", "phone", {"answers": {"name": "Nguyễn Văn An"}}
        await claim_update(db, "fake", "u1", clock.now())
    clock.advance(timedelta(hours=app.settings.form_timeout_hours + 1))
    async with app.transaction() as db:
        recent = await load_conversation(db, "fake", "recent", clock.now())
        recent.flow, recent.step, recent.data = "signup", "name", {"answers": {}}
    await tidy_up(app, dispatcher.router.flows())
    async with app.transaction() as db:
        old = await load_conversation(db, "fake", "old", clock.now())
        recent = await load_conversation(db, "fake", "recent", clock.now())
        assert not await claim_update(db, "fake", "u1", clock.now())  # still remembered
    assert (old.flow, old.step, old.data) == (None, None, {})
    assert (recent.flow, recent.step) == ("signup", "name")
    clock.advance(timedelta(days=3))
    await tidy_up(app, dispatcher.router.flows())
    async with app.transaction() as db:
        assert await claim_update(db, "fake", "u1", clock.now())  # forgotten after 3 days


async def test_sender_wakes_at_once_and_stops_at_once(
    app: AppContext, fake_channel: FakeChannel
) -> None:
    app.settings.outbox_poll_seconds = 3600  # only wake-ups can make it act in this test
    stop = asyncio.Event()
    task = asyncio.create_task(OutboxSender(app).run(stop))
    await asyncio.sleep(0)
    async with app.transaction() as db:
        await outbox.enqueue(db, outbox.Message("fake", "a", Reply("x").to_dict()), app.clock.now())
    app.outbox_wakeup.set()
    for _ in range(200):
        if fake_channel.sent:
            break
        await asyncio.sleep(0.01)
    assert [reply.text for _, reply in fake_channel.sent] == ["x"]
    stop.set()
    await asyncio.wait_for(task, timeout=5)
