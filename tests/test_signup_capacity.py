"""Capacity under concurrency, the database lock, and cancellations promoting the waitlist."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from storage import help_sessions, signups
from storage.models import HelpSession, OutboxMessage
from tests.signup_support import add_sessions, book_via_chat, rows, spec
from tests.support import Chat, FakeChannel, joined

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def book_in_own_transaction(
    transaction: Transaction, session_id: int, person: int, now: object
) -> str:
    """One citizen's confirm, in its own session and transaction as the dispatcher runs it."""
    async with transaction() as db:
        booking = await signups.book(
            db,
            session_id=session_id,
            channel="fake",
            chat_id=f"citizen-{person}",
            full_name=f"Người dân số {person}",
            phone=f"09{person:08d}",
            need="Cài đặt VNeID",
            consent_at=now,  # type: ignore[arg-type]
            now=now,  # type: ignore[arg-type]
        )
        return booking.status


def raw_transaction(app: AppContext) -> Transaction:
    """A transaction without the in-process SQLite gate: only the database serialises it."""

    @asynccontextmanager
    async def open_one() -> AsyncIterator[AsyncSession]:
        async with app.open_db() as db, db.begin():
            yield db

    return open_one


async def confirm_many(app: AppContext, transaction: Transaction, label: str) -> None:
    ids = await add_sessions(app, spec("busy", capacity=20))
    now = app.clock.now()
    started = time.perf_counter()
    statuses = await asyncio.gather(
        *(book_in_own_transaction(transaction, ids["busy"], n, now) for n in range(200))
    )
    elapsed = time.perf_counter() - started
    counted = Counter(statuses)
    dialect = app.engine.dialect.name
    print(
        f"\n[signup capacity] {dialect} {label}: 200 concurrent confirmations for 20 seats -> "
        f"{counted['confirmed']} confirmed, {counted['waitlisted']} waitlisted "
        f"in {elapsed:.2f} s"
    )
    assert counted == {"confirmed": 20, "waitlisted": 180}
    async with app.open_db() as db:
        seats = await help_sessions.session_seats(db, ids["busy"])
    assert seats is not None and (seats.confirmed, seats.waitlisted, seats.free) == (20, 180, 0)
    waitlisted = sorted(
        [r for r in await rows(app) if r.status == "waitlisted"], key=lambda r: r.id
    )
    async with app.open_db() as db:
        positions = [await signups.waitlist_position(db, r) for r in waitlisted]
    assert positions == list(range(1, 181))
    assert len({r.code for r in await rows(app)}) == 200


async def test_200_concurrent_confirmations_fill_exactly_20_seats(app: AppContext) -> None:
    await confirm_many(app, app.transaction, "app.transaction()")


async def test_database_lock_alone_prevents_overbooking(app: AppContext) -> None:
    """Without the in-process gate (e.g. the CLI and the bot, or several workers)."""
    await confirm_many(app, raw_transaction(app), "database lock only")


async def someone_else_can_lock(app: AppContext, session_id: int) -> bool:
    """Whether another connection could take the booking lock right now, without waiting:
    FOR UPDATE NOWAIT on PostgreSQL, BEGIN IMMEDIATE with no busy timeout on SQLite."""
    if app.engine.dialect.name == "sqlite":
        return await asyncio.to_thread(_sqlite_writer_free, str(app.engine.url.database))
    async with app.engine.connect() as connection:
        try:
            await connection.execute(
                select(HelpSession.id)
                .where(HelpSession.id == session_id)
                .with_for_update(nowait=True)
            )
        except DBAPIError:
            return False
        finally:
            await connection.rollback()
    return True


def _sqlite_writer_free(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError:  # "database is locked"
        return False
    finally:
        connection.close()
    return True


async def test_a_booking_holds_the_session_lock_until_it_commits(app: AppContext) -> None:
    """The session lock is held until commit: FOR UPDATE (PostgreSQL), BEGIN IMMEDIATE
    (SQLite); so a second booking can only count seats after the first one's insert."""
    ids = await add_sessions(app, spec("one-seat", capacity=1))
    now = app.clock.now()
    open_one = raw_transaction(app)
    assert await someone_else_can_lock(app, ids["one-seat"])
    async with open_one() as first:
        booking = await signups.book(
            first,
            session_id=ids["one-seat"],
            channel="fake",
            chat_id="a",
            full_name="An",
            phone="0912345678",
            need="",
            consent_at=now,
            now=now,
        )
        assert booking.status == signups.BookingOutcome.CONFIRMED
        assert not await someone_else_can_lock(app, ids["one-seat"])
    assert await someone_else_can_lock(app, ids["one-seat"])
    assert await book_in_own_transaction(open_one, ids["one-seat"], 2, now) == "waitlisted"


async def test_cancelling_promotes_the_first_waiting_and_tells_them_on_their_channel(
    app: AppContext, dispatcher: Dispatcher, fake_channel: FakeChannel
) -> None:
    ids = await add_sessions(app, spec("s", capacity=1))
    holder = Chat(dispatcher, "holder", channel="web")
    first_waiting = Chat(dispatcher, "waiting-1", channel="fake")
    second_waiting = Chat(dispatcher, "waiting-2", channel="fake")
    await book_via_chat(holder, ids["s"])
    await book_via_chat(first_waiting, ids["s"])
    await book_via_chat(second_waiting, ids["s"])
    [held, *_] = await rows(app)
    replies = await holder.press(f"signup:dropok:{held.id}")
    assert "Đã hủy" in joined(replies)
    statuses = {r.chat_id: r.status for r in await rows(app)}
    assert statuses == {"holder": "cancelled", "waiting-1": "confirmed", "waiting-2": "waitlisted"}
    async with app.open_db() as db:
        [notice] = (await db.execute(select(OutboxMessage))).scalars().all()
    assert (notice.channel, notice.chat_id) == ("fake", "waiting-1")
    assert app.outbox_wakeup.is_set()
    await OutboxSender(app).send_due()
    [(chat_id, reply)] = fake_channel.sent
    assert chat_id == "waiting-1" and "Tin vui" in reply.text
    assert "thứ tự số 1" in joined(await second_waiting.press("signup:mine"))


async def test_concurrent_cancellations_keep_the_count_exact(app: AppContext) -> None:
    ids = await add_sessions(app, spec("s", capacity=5))
    now = app.clock.now()
    for n in range(12):
        await book_in_own_transaction(app.transaction, ids["s"], n, now)
    confirmed = [r for r in await rows(app) if r.status == "confirmed"]

    async def cancel(signup_id: int) -> None:
        async with app.transaction() as db:
            await signups.cancel(db, signup_id, now)

    # Every confirmed person cancels at once, twice (double taps): 5 promoted, no more.
    await asyncio.gather(*(cancel(r.id) for r in confirmed * 2))
    counted = Counter(r.status for r in await rows(app))
    assert counted == {"cancelled": 5, "confirmed": 5, "waitlisted": 2}
