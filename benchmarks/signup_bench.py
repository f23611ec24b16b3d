"""How long 200 simultaneous confirmations for 20 seats take, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.signup_bench [--runs 5] [--postgres URL]

Each confirmation runs `storage.signups.book` in its own transaction (`app.transaction()`,
as the dispatcher does); all are started at once with asyncio.gather.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime

import asyncpg

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext
from bot.runtime import prepare
from storage import help_sessions, signups
from tests.signup_support import spec


async def one_run(app: AppContext, run: int) -> tuple[Counter[str], float]:
    async with app.transaction() as db:
        await help_sessions.import_sessions(
            db, [spec(f"bench-{run}", capacity=20)], app.clock.now()
        )
        session = await help_sessions.session_by_slug(db, f"bench-{run}")
    assert session is not None
    now = app.clock.now()

    async def confirm(person: int) -> str:
        async with app.transaction() as db:
            booking = await signups.book(
                db,
                session_id=session.id,
                channel="bench",
                chat_id=f"{run}-{person}",
                full_name="Người dân",
                phone="0912345678",
                need="",
                consent_at=now,
                now=now,
            )
            return booking.status

    started = time.perf_counter()
    statuses = await asyncio.gather(*(confirm(n) for n in range(200)))
    return Counter(statuses), time.perf_counter() - started


async def measure(settings: Settings, label: str, runs: int) -> None:
    app, _dispatcher = await prepare(settings, ManualClock(datetime(2026, 9, 28, 2, tzinfo=UTC)))
    try:
        times = []
        for run in range(runs):
            counted, elapsed = await one_run(app, run)
            assert counted == {"confirmed": 20, "waitlisted": 180}, counted
            times.append(elapsed)
        print(
            f"{label:<11} 200 confirmations, 20 seats: 20 confirmed / 180 waitlisted every run; "
            f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
            f"max {max(times):.2f} s over {runs} runs"
        )
    finally:
        await app.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    base = {"_env_file": None, "web_port": 0}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = Settings(database_url=f"sqlite+aiosqlite:///{folder}/bench.db", **base)  # type: ignore[arg-type]
        await measure(sqlite, "SQLite", args.runs)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    dsn = args.postgres.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        connection = await asyncpg.connect(dsn, timeout=3)
    except Exception as error:
        print(f"PostgreSQL  skipped: {error}")
        return
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        postgres = Settings(database_url=args.postgres, database_schema=schema, **base)  # type: ignore[arg-type]
        await measure(postgres, "PostgreSQL", args.runs)
    finally:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()


if __name__ == "__main__":
    asyncio.run(main())
