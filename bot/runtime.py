"""Start-up and shutdown: schema, channels, web server, outbox sender, housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot.channels.telegram import TelegramChannel, TelegramTuning
from bot.channels.web import WebChatChannel
from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext, build_app_context
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from bot.webserver import Mount, build_web_app
from handlers.registry import build_router
from handlers.signup import remind_tomorrow
from storage.conversations import clear_stale_forms
from storage.db import upgrade_schema
from storage.dedupe import forget_updates_before

logger = logging.getLogger(__name__)

UPDATE_IDS_KEPT = timedelta(days=3)
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
        if self.web_runner is None:
            return None
        for site in self.web_runner.sites:
            server = getattr(site, "_server", None)
            if server is not None and server.sockets:
                return int(server.sockets[0].getsockname()[1])
        return None


async def prepare(settings: Settings, clock: Clock | None = None) -> tuple[AppContext, Dispatcher]:
    """Build the context, upgrade the schema, and wire the router into a dispatcher."""
    app = build_app_context(settings, clock)
    await upgrade_schema(app.engine)
    return app, Dispatcher(app, build_router())


@asynccontextmanager
async def running(
    settings: Settings,
    clock: Clock | None = None,
    *,
    serve_web: bool = True,
    telegram_tuning: TelegramTuning | None = None,
) -> AsyncIterator[Runtime]:
    """Run the whole bot inside the `async with` block (Telegram too when a token is set)."""
    app, dispatcher = await prepare(settings, clock)
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
            runtime.web_runner = await _start_web(app, mounts)
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
    async with running(settings) as runtime:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.stop.set)
        logger.info(
            "web chat on http://%s:%s/", settings.web_host, runtime.web_port or settings.web_port
        )
        await runtime.stop.wait()
        logger.info("stopping")


async def _start_web(app: AppContext, mounts: list[Mount]) -> web.AppRunner:
    runner = web.AppRunner(build_web_app(app, mounts), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, app.settings.web_host, app.settings.web_port)
    await site.start()
    return runner


async def _housekeeping(app: AppContext, stop: asyncio.Event) -> None:
    """Once an hour: forget old update ids and clear abandoned forms."""
    await _every(HOUSEKEEPING_SECONDS, stop, lambda: tidy_up(app))


async def tidy_up(app: AppContext) -> None:
    """Drop what is no longer needed: old update ids, and abandoned half-filled forms, which
    may hold a name or phone number the citizen never confirmed."""
    now = app.clock.now()
    async with app.transaction() as db:
        await forget_updates_before(db, now - UPDATE_IDS_KEPT)
        cleared = await clear_stale_forms(
            db, now - timedelta(hours=app.settings.form_timeout_hours)
        )
    if cleared:
        logger.info("cleared %d abandoned form(s)", cleared)


async def _every(seconds: float, stop: asyncio.Event, job: Callable[[], Awaitable[None]]) -> None:
    while not stop.is_set():
        try:
            await job()
        except Exception:
            logger.exception("periodic job failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
