"""The sending engine: throughput, limits, queuing a day for 100,000, replies during a broadcast.

Run from the repository root:  .venv/bin/python benchmarks/broadcast_bench.py [--quick]

Everything runs in this process against the fake Bot API (tests/fake_telegram.py) on
127.0.0.1, with the real python-telegram-bot client, the real outbox sender and the real
database (a fresh SQLite file; PostgreSQL too when it answers at 127.0.0.1:5432):

1. Engine throughput with the rate limits off: outbox rows to distinct chats, sent by
   OutboxSender through TelegramChannel; messages/s and CPU time per message (the fake's
   own work included), next to a baseline of bare `bot.send_message` calls, 16 at a time.
2. With the production limits (30 messages/s, 1/s per chat) against a fake that answers
   429 when they are exceeded: the achieved rate as a ratio of the limit, and the 429s.
3. Queuing one campaign day for 100,000 subscribers: time and peak Python memory
   (tracemalloc), on SQLite and PostgreSQL.
4. While a 10,000-message broadcast is being sent (limits on), a person chatting: the reply
   time p50/p99, next to the same person chatting with no broadcast.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr
from sqlalchemy import insert

from bot.clock import VN_TZ, ManualClock
from bot.config import Settings
from bot.runtime import prepare, running
from handlers.reminders.daily import queue_run
from storage import outbox
from storage.models import ReminderSlot, Subscription
from tests.fake_telegram import TOKEN, FakeTelegram, Limits

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
FIRST_CHAT = 800_000_001


class Deliveries:
    """When each sendMessage reached the fake server; `wait(n)` until n have."""

    def __init__(self, fake: FakeTelegram, only_chat: str | None = None) -> None:
        self.stamps: list[float] = []
        self._only = only_chat
        self._changed = asyncio.Event()
        fake.on_send = self._on_send

    def _on_send(self, chat: str, params: dict[str, Any]) -> None:
        if self._only is None or chat == self._only:
            self.stamps.append(time.perf_counter())
            self._changed.set()

    async def wait(self, count: int) -> None:
        while len(self.stamps) < count:
            self._changed.clear()
            await self._changed.wait()


def telegram_settings(fake: FakeTelegram, folder: Path, *, limited: bool, **extra: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=extra.pop(
            "database_url", f"sqlite+aiosqlite:///{folder}/bot-{uuid.uuid4().hex[:6]}.db"
        ),
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=fake.base_url,
        telegram_rate_per_second=30 if limited else 0,
        telegram_chat_rate_per_second=1 if limited else 0,
        web_port=0,
        outbox_poll_seconds=0.05,
        quiet_hours="00:00-00:00",
        **extra,
    )


async def queue_bulk(settings: Settings, count: int, chats: int) -> None:
    app, _ = await prepare(settings)
    try:
        now = app.clock.now()
        for start in range(0, count, 1000):
            messages = [
                outbox.Message(
                    "telegram",
                    str(FIRST_CHAT + (i % chats)),
                    {"text": f"Thông báo số {i}", "buttons": []},
                    kind="broadcast.subscribers",
                    priority=outbox.Priority.BULK,
                    source="broadcast:bench",
                    dedupe_key=f"bench:{i}",
                )
                for i in range(start, min(count, start + 1000))
            ]
            async with app.transaction() as db:
                await outbox.enqueue_many(db, messages, now)
    finally:
        await app.close()


async def engine_throughput(folder: Path, count: int) -> None:
    """From the first delivery to the last, as the fake server sees them."""
    async with FakeTelegram(record=False) as fake:
        deliveries = Deliveries(fake)
        stamps = deliveries.stamps
        settings = telegram_settings(fake, folder, limited=False)
        await queue_bulk(settings, count, count)
        cpu = time.process_time()
        async with running(settings, serve_web=False) as runtime:
            await deliveries.wait(count)
            engine_cpu = time.process_time() - cpu
            engine_wall = stamps[-1] - stamps[0]
            bot = runtime.app.channels["telegram"].bot  # type: ignore[attr-defined]
            stamps.clear()
            slots = asyncio.Semaphore(16)

            async def one(i: int) -> None:
                async with slots:
                    await bot.send_message(FIRST_CHAT + i, f"Thông báo số {i}")

            cpu = time.process_time()
            await asyncio.gather(*(one(i) for i in range(count)))
            base_cpu = time.process_time() - cpu
            base_wall = stamps[-1] - stamps[0]
    print(f"\n1. Engine throughput, limits off, {count} messages to distinct chats")
    print(f"{'':36}| {'outbox engine':>14} | {'bare send_message x16':>22}")
    print(f"{'messages/s':36}| {count / engine_wall:14.0f} | {count / base_wall:22.0f}")
    print(
        f"{'CPU ms per message (fake included)':36}| {1000 * engine_cpu / count:14.2f} | "
        f"{1000 * base_cpu / count:22.2f}"
    )
    print(f"{'times the Telegram limit (30/s)':36}| {count / engine_wall / 30:13.1f}x |")


async def limited_rate(folder: Path, count: int, chats: int) -> None:
    async with FakeTelegram(record=False, limits=Limits()) as fake:
        deliveries = Deliveries(fake)
        times = deliveries.stamps
        settings = telegram_settings(fake, folder, limited=True)
        await queue_bulk(settings, count, chats)
        async with running(settings, serve_web=False):
            await deliveries.wait(count)
        span = times[-1] - times[0]
        rate = (len(times) - 1) / span
        print(f"\n2. Production limits (30/s, 1/s per chat), {count} messages to {chats} chats")
        print(
            f"   achieved {rate:.1f} messages/s = {rate / 30:.2f} of the limit; "
            f"429s caused: {fake.too_many}"
        )


async def queue_day(database_url: str, schema: str | None, folder: Path, subscribers: int) -> str:
    clock = ManualClock(dt.datetime(2026, 10, 3, 7, 31, tzinfo=VN_TZ))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, database_schema=schema, campaign_year=2026
    )
    app, _ = await prepare(settings, clock)
    try:
        now = clock.now()
        async with app.transaction() as db:
            for start in range(0, subscribers, 10_000):
                rows = [
                    {
                        "channel": "telegram",
                        "chat_id": str(FIRST_CHAT + i),
                        "slot": ReminderSlot.MORNING,
                        "commune": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in range(start, min(subscribers, start + 10_000))
                ]
                await db.execute(insert(Subscription), rows)
        tracemalloc.start()
        started = time.perf_counter()
        queued = await queue_run(app, dt.date(2026, 10, 3), ReminderSlot.MORNING)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        await app.close()
    return f"{queued} reminders queued in {elapsed:.1f} s, peak Python memory {peak / 2**20:.0f} MB"


async def replies_during_broadcast(folder: Path, broadcast: int, questions: int) -> None:
    results = {}
    person = FIRST_CHAT - 1
    for label, queued in (("no broadcast", 0), (f"{broadcast} queued", broadcast)):
        async with FakeTelegram(record=False, limits=Limits()) as fake:
            deliveries = Deliveries(fake, only_chat=str(person))
            settings = telegram_settings(fake, folder, limited=True)
            if queued:
                await queue_bulk(settings, queued, queued)
            latencies = []
            async with running(settings, serve_web=False):
                await asyncio.sleep(1.0)  # the broadcast is under way
                for n in range(questions):
                    sent = time.perf_counter()
                    fake.message(person, "vneid là gì")
                    await deliveries.wait(n + 1)
                    latencies.append(deliveries.stamps[n] - sent)
                    await asyncio.sleep(1.1)  # a person reads before writing again
            results[label] = latencies
    print(f"\n4. A person chatting ({questions} questions, one every ~1 s), limits on")
    for label, values in results.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        median = statistics.median(values) * 1000
        print(f"   {label:16}: p50 {median:6.0f} ms, p99 {p99 * 1000:6.0f} ms")


async def postgres_schema() -> str | None:
    try:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""), timeout=3)
    except Exception:
        return None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    await connection.close()
    return schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
    await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await connection.close()


async def main(quick: bool) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        await engine_throughput(folder, 2000 if quick else 10_000)
        await limited_rate(folder, 300 if quick else 900, 150 if quick else 450)
        subscribers = 20_000 if quick else 100_000
        print(f"\n3. Queuing one campaign day for {subscribers} subscribers")
        print(
            "   SQLite:    ",
            await queue_day(f"sqlite+aiosqlite:///{folder}/day.db", None, folder, subscribers),
        )
        schema = await postgres_schema()
        if schema is None:
            print("   PostgreSQL: not reachable, skipped")
        else:
            try:
                print("   PostgreSQL:", await queue_day(POSTGRES_URL, schema, folder, subscribers))
            finally:
                await drop_schema(schema)
        await replies_during_broadcast(folder, 2000 if quick else 10_000, 10 if quick else 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, a minute or two")
    asyncio.run(main(parser.parse_args().quick))
