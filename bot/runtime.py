"""Start-up and shutdown: schema, channels, web server, outbox sender, housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from bot.channels.telegram import TelegramChannel, TelegramTuning
from bot.channels.web import WebChatChannel
from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext, Knowledge, build_app_context
from bot.dispatcher import Dispatcher
from bot.logs import AcceptErrorThrottle
from bot.outbox import OutboxSender
from bot.retention import enforce_retention
from bot.webserver import Mount, bound_port, build_web_app, start_web
from handlers.registry import build_router
from handlers.signup import remind_tomorrow
from storage.db import upgrade_schema

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600
# Day-before reminders for help sessions: queued once each (outbox dedupe key).
SESSION_REMINDER_SECONDS = 600


@dataclass
class Runtime:
    """A started bot: what tests and the entry point need to reach and stop it."""

    app: AppContext
    dispatcher: Dispatcher
    stop: asyncio.Event
    web_runner: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def web_port(self) -> int | None:
        """The port actually bound (useful with WEB_PORT=0 in tests)."""
        return None if self.web_runner is None else bound_port(self.web_runner)


async def prepare(
    settings: Settings, clock: Clock | None = None, knowledge: Knowledge | None = None
) -> tuple[AppContext, Dispatcher]:
    """Build the context, upgrade the schema, and wire the router into a dispatcher."""
    app = build_app_context(settings, clock, knowledge)
    await upgrade_schema(app.engine)
    await app.load_secrets()
    return app, Dispatcher(app, build_router())


@asynccontextmanager
async def running(
    settings: Settings,
    clock: Clock | None = None,
    *,
    serve_web: bool = True,
    telegram_tuning: TelegramTuning | None = None,
    knowledge: Knowledge | None = None,
) -> AsyncIterator[Runtime]:
    """Run the whole bot inside the `async with` block (Telegram too when a token is set)."""
    app, dispatcher = await prepare(settings, clock, knowledge)
    runtime = Runtime(app, dispatcher, asyncio.Event())
    web_channel = WebChatChannel(app, dispatcher)
    app.channels[web_channel.name] = web_channel
    mounts: list[Mount] = [web_channel.mount]
    if settings.telegram_bot_token is not None and settings.telegram_bot_token.get_secret_value():
        telegram = TelegramChannel(app, dispatcher, telegram_tuning)
        app.channels[telegram.name] = telegram
        if telegram.webhook_url:
            # Served by the shared web server, stopped before the channel (no new updates).
            mounts.append(telegram.mount)
    try:
        for channel in app.channels.values():
            await channel.start()
        if serve_web:
            runtime.web_runner = await start_web(app, build_web_app(app, mounts))
        sender = OutboxSender(app)
        await sender.recover()
        runtime.tasks.append(asyncio.create_task(sender.run(runtime.stop), name="outbox"))
        runtime.tasks.append(
            asyncio.create_task(_housekeeping(app, runtime.stop), name="housekeeping")
        )
        runtime.tasks.append(
            asyncio.create_task(
                _every(SESSION_REMINDER_SECONDS, runtime.stop, lambda: remind_tomorrow(app)),
                name="session-reminders",
            )
        )
        yield runtime
    finally:
        runtime.stop.set()
        app.outbox_wakeup.set()
        for task in runtime.tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=10)
        if runtime.web_runner is not None:
            await runtime.web_runner.cleanup()
        for channel in app.channels.values():
            await channel.stop()
        await app.close()


async def serve_forever(settings: Settings) -> None:
    """`python -m bot run`: serve until SIGINT or SIGTERM."""
    _raise_file_limit()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(AcceptErrorThrottle())
    async with running(settings) as runtime:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.stop.set)
        logger.info(
            "web chat on http://%s:%s/", settings.web_host, runtime.web_port or settings.web_port
        )
        await runtime.stop.wait()
        logger.info("stopping")


def _raise_file_limit() -> None:
    """Use the hard limit of open files: the connection cap then leaves room to spare."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _housekeeping(app: AppContext, stop: asyncio.Event) -> None:
    """Once an hour: retention (bot/retention.py)."""
    await _every(HOUSEKEEPING_SECONDS, stop, lambda: tidy_up(app))


async def tidy_up(app: AppContext) -> None:
    """Drop what is no longer needed, as the retention settings say."""
    removed = await enforce_retention(app)
    if any(removed.values()):
        logger.info(
            "housekeeping removed %s",
            ", ".join(f"{name}={count}" for name, count in removed.items() if count),
        )


async def _every(seconds: float, stop: asyncio.Event, job: Callable[[], Awaitable[None]]) -> None:
    while not stop.is_set():
        try:
            await job()
        except Exception:
            logger.exception("periodic job failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
