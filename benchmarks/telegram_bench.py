"""Telegram adapter throughput and latency, next to a bare python-telegram-bot echo bot.

Run from the repository root:  .venv/bin/python benchmarks/telegram_bench.py [--questions 2000]

Both bots poll the same kind of fake Bot API server (tests/fake_telegram.py) on 127.0.0.1, in
this process. `--users` simulated citizens each send their next question only after the
reply to the previous one arrived (as a person would), all users at once. A reply's latency
runs from the moment the update is queued on the fake server to the moment the bot's
sendMessage reaches it. The bot answers from the real knowledge base, stores state in a fresh
SQLite file in a temporary folder, and shows a typing indicator (one more API call per update).

Rate limits: the fake server does not enforce Telegram's limits, and the main comparison runs
with the bot's own limiter off (TELEGRAM_RATE_PER_SECOND=0, TELEGRAM_CHAT_RATE_PER_SECOND=0):
with them on, 50 users are capped at 30 replies/s by design, which measures the limiter and
not the adapter. A last, shorter run with the production limits shows that cap.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from bot.dispatcher import Dispatcher
from bot.messages import Incoming, Reply
from bot.runtime import prepare, running
from faq.kb import load_knowledge_base
from tests.fake_telegram import FakeTelegram

FIRST_CHAT = 500_000_001


@dataclass
class Load:
    """Closed-loop users driven by the fake server's sendMessage hook."""

    fake: FakeTelegram
    questions: list[str]
    users: int
    total: int
    latencies: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.questions)
        self._sent_at: dict[str, float] = {}
        self._remaining: dict[str, int] = {}
        self._queued = 0
        base, extra = divmod(self.total, self.users)
        for index in range(self.users):
            self._remaining[str(FIRST_CHAT + index)] = base + (1 if index < extra else 0)
        self.fake.on_send = self._on_reply

    def begin(self) -> None:
        for chat_id in list(self._remaining):
            self._ask(chat_id)

    def _ask(self, chat_id: str) -> None:
        if self._remaining[chat_id] <= 0:
            return
        self._remaining[chat_id] -= 1
        self._sent_at[chat_id] = time.perf_counter()
        self.fake.message(int(chat_id), next(self._next))

    def _on_reply(self, chat_id: str, params: dict[str, Any]) -> None:
        sent_at = self._sent_at.pop(chat_id, None)
        if sent_at is None:
            return  # a second message for the same question (not expected here)
        self.latencies.append((time.perf_counter() - sent_at) * 1000)
        if len(self.latencies) >= self.total:
            self.done.set()
        self._ask(chat_id)


@dataclass
class Result:
    name: str
    replies: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.replies / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(
    name: str,
    questions: list[str],
    users: int,
    total: int,
    serve: Callable[[FakeTelegram, Callable[[], Awaitable[None]]], Awaitable[None]],
) -> Result:
    """Start a fake server, let `serve` start a bot on it and run the load inside."""
    async with FakeTelegram(record=False) as fake:
        load = Load(fake, questions, users, total)
        timing: dict[str, float] = {}

        async def drive() -> None:
            timing["start"] = time.perf_counter()
            load.begin()
            await asyncio.wait_for(load.done.wait(), timeout=600)
            timing["end"] = time.perf_counter()

        await serve(fake, drive)
    return Result(name, len(load.latencies), timing["end"] - timing["start"], load.latencies)


async def serve_our_bot(
    fake: FakeTelegram, drive: Callable[[], Awaitable[None]], folder: Path, limited: bool
) -> None:
    async with running(bench_settings(fake, folder, limited), serve_web=False):
        await drive()


def bench_settings(fake: FakeTelegram, folder: Path, limited: bool) -> Settings:
    """A fresh SQLite file; Telegram pointed at the fake server."""
    limits = {} if limited else {"telegram_rate_per_second": 0, "telegram_chat_rate_per_second": 0}
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{folder}/bench-{time.time_ns()}.db",
        web_port=0,
        telegram_bot_token=SecretStr(fake.token),
        telegram_api_base_url=fake.base_url,
        **limits,  # type: ignore[arg-type]
    )


class NoopDispatcher(Dispatcher):
    """Answers every update with its own text: isolates the adapter's own cost."""

    async def handle(self, incoming: Incoming) -> list[Reply]:
        return [Reply(incoming.text or "")]


async def serve_adapter_only(
    fake: FakeTelegram, drive: Callable[[], Awaitable[None]], folder: Path
) -> None:
    """The real TelegramChannel (polling, rendering, sending) around a no-op dispatcher."""
    settings = bench_settings(fake, folder, limited=False)
    app, dispatcher = await prepare(settings)
    channel = TelegramChannel(app, NoopDispatcher(app, dispatcher.router, dispatcher.texts))
    await channel.start()
    try:
        await drive()
    finally:
        await channel.stop()
        await app.close()


async def serve_echo_bot(fake: FakeTelegram, drive: Callable[[], Awaitable[None]]) -> None:
    """The baseline: python-telegram-bot's own Application echoing every text."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.message.text is not None
        await update.message.reply_text(update.message.text)

    # concurrent_updates: the default handles one update at a time, an unfair baseline.
    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .concurrent_updates(True)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=25)
        try:
            await drive()
        finally:
            await application.updater.stop()
            await application.stop()


def questions_from_knowledge_base() -> list[str]:
    knowledge = load_knowledge_base(None)
    return [question for entry in knowledge.entries for question in entry.questions]


def row(result: Result) -> str:
    return (
        f"{result.name:<38} {result.replies:>7} {result.per_second:>10.1f} "
        f"{statistics.median(result.latencies):>9.1f} {result.percentile(0.99):>9.1f}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--limited-questions",
        type=int,
        default=300,
        help="questions for the run with production limits (0 skips it)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    questions = questions_from_knowledge_base()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours = await measure(
            "telegram adapter (limits off)",
            questions,
            args.users,
            args.questions,
            lambda fake, drive: serve_our_bot(fake, drive, folder, limited=False),
        )
        adapter = await measure(
            "adapter alone (no-op dispatcher)",
            questions,
            args.users,
            args.questions,
            lambda fake, drive: serve_adapter_only(fake, drive, folder),
        )
        echo = await measure(
            "bare PTB echo bot (baseline)", questions, args.users, args.questions, serve_echo_bot
        )
        limited = None
        if args.limited_questions:
            limited = await measure(
                "telegram adapter (30/s, 1/s per chat)",
                questions,
                args.users,
                args.limited_questions,
                lambda fake, drive: serve_our_bot(fake, drive, folder, limited=True),
            )
    print(f"\n{args.questions} questions from {args.users} users, polling, SQLite, one process")
    print(f"{'bot':<38} {'replies':>7} {'replies/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    print(row(ours))
    print(row(adapter))
    print(row(echo))
    print(f"throughput ratio, whole bot / echo:       {ours.per_second / echo.per_second:.2f}")
    print(f"throughput ratio, adapter alone / echo:   {adapter.per_second / echo.per_second:.2f}")
    if limited is not None:
        print(row(limited))


if __name__ == "__main__":
    asyncio.run(main())
