"""How a turn holds its conversation across workers: the row lock we use (SELECT ... FOR
UPDATE on the conversation) next to a transaction-scoped advisory lock taken first.

Run from the repository root:  .venv/bin/python benchmarks/conversation_lock_bench.py

Needs PostgreSQL on 127.0.0.1:5432 (database `test`). In this process, through the real
dispatcher and knowledge base, in a fresh schema: `--turns` FAQ turns over 40 conversations,
one at a time (the cost of a turn) and 32 at once (throughput), for each way in turn, three
rounds alternating so a busy machine disturbs both alike. The advisory variant is the same
code with `pg_advisory_xact_lock(hashtext(channel || chat id))` before a plain SELECT.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Incoming
from bot.runtime import prepare
from storage import conversations
from storage.models import Conversation

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
QUESTIONS = [
    "quên mật khẩu vneid thì làm sao",
    "dang ky dinh danh muc 2 o dau",
    "ngày chuyển đổi số quốc gia là ngày nào",
    "thanh toán qr có an toàn không",
]


async def _advisory_find(
    session: AsyncSession, channel: str, chat_id: str, *, lock: bool = False
) -> Conversation | None:
    if lock:
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(channel + chat_id))))
    query = select(Conversation).where(
        Conversation.channel == channel, Conversation.chat_id == chat_id
    )
    if lock:
        query = query.execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


@contextmanager
def advisory_lock() -> Iterator[None]:
    original = conversations.find_conversation
    conversations.find_conversation = _advisory_find
    try:
        yield
    finally:
        conversations.find_conversation = original


async def run_turns(dispatcher: Dispatcher, turns: int, concurrency: int, tag: str) -> float:
    """Turns per second."""
    queue = list(range(turns))
    started = time.perf_counter()

    async def client(number: int) -> None:
        while queue:
            index = queue.pop()
            await dispatcher.handle(
                Incoming(
                    channel="web",
                    chat_id=f"c{index % 40}",
                    user_id="u",
                    text=QUESTIONS[index % len(QUESTIONS)],
                    message_id=f"{tag}-{index}",
                )
            )

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return turns / (time.perf_counter() - started)


async def main(turns: int) -> None:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    dsn = POSTGRES_URL.replace("+asyncpg", "")
    connection = await asyncpg.connect(dsn)
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    settings = Settings(_env_file=None, database_url=POSTGRES_URL, database_schema=schema)  # type: ignore[call-arg]
    app, dispatcher = await prepare(settings)
    ways: dict[str, Callable[[], Any]] = {
        "row lock (FOR UPDATE)": _no_patch,
        "advisory lock": advisory_lock,
    }
    results: dict[str, dict[str, list[float]]] = {w: {"1": [], "32": []} for w in ways}
    try:
        await run_turns(dispatcher, 200, 8, "warm")
        for round_number in range(3):
            for way, patch in ways.items():
                with patch():
                    for concurrency in (1, 32):
                        rate = await run_turns(
                            dispatcher, turns, concurrency, f"{way}-{round_number}-{concurrency}"
                        )
                        results[way][str(concurrency)].append(rate)
    finally:
        await app.close()
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await connection.close()
    print(f"{turns} FAQ turns per measurement, median of 3 rounds, PostgreSQL")
    print(f"{'':<24} {'ms per turn (1 at a time)':>26} {'turns/s (32 at once)':>22}")
    for way, by in results.items():
        print(
            f"{way:<24} {1000 / statistics.median(by['1']):>26.2f} "
            f"{statistics.median(by['32']):>22.0f}"
        )


@contextmanager
def _no_patch() -> Iterator[None]:
    yield


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=600)
    asyncio.run(main(parser.parse_args().turns))
