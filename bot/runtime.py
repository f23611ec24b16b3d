"""Start-up and shutdown: schema, channels, web server, outbox sender, housekeeping."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import resource
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

from aiohttp import web

from bot.channels.registry import ChannelTuning, build_channels
from bot.channels.telegram import TelegramTuning
from bot.channels.zalo.channel import ZaloTuning
from bot.clock import Clock
from bot.config import Settings
from bot.context import AppContext, Knowledge, build_app_context
from bot.dispatcher import Dispatcher
from bot.feature_web import feature_parts, shared_mounts, start_separate
from bot.features import Feature, Job, Product, load_product
from bot.logs import AcceptErrorThrottle
from bot.outbox import OutboxSender, wait_for_either
from bot.retention import enforce_retention
from bot.routing import Flow, Router
from bot.webserver import bound_port, build_web_app, start_web
from storage import jobs
from storage.db import migrates_itself, require_current_schema, upgrade_schema

logger = logging.getLogger(__name__)

HOUSEKEEPING_SECONDS = 3600
# At a stop, how long the outbox sender and the jobs may take to end their current step.
STOP_GRACE_SECONDS = 10.0
# How often a worker of `run --workers` checks that its supervisor is still there.
ORPHAN_CHECK_SECONDS = 1.0


@dataclass
class Runtime:
    """A started bot: what tests and the entry point need to reach and stop it."""

    app: AppContext
    dispatcher: Dispatcher
    stop: asyncio.Event
    web_runner: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Features' web parts served on their own host and port (bot/feature_web.py).
    feature_runners: list[web.AppRunner] = field(default_factory=list)

    @property
    def web_port(self) -> int | None:
        """The port actually bound (useful with WEB_PORT=0 in tests)."""
        return None if self.web_runner is None else bound_port(self.web_runner)


def router_for(features: Sequence[Feature]) -> Router:
    """Every feature's routes, in the registry's order (intents are tried in that order)."""
    router = Router()
    for feature in features:
        feature.register(router)
    return router


async def prepare(
    settings: Settings,
    clock: Clock | None = None,
    knowledge: Knowledge | None = None,
    product: Product | None = None,
    *,
    migrate: bool = True,
) -> tuple[AppContext, Dispatcher]:
    """Build the context, bring the schema up to date (or, without `migrate`, refuse an old
    one), and wire the product's features in."""
    product = product or load_product()
    app = build_app_context(settings, clock, knowledge)
    app.features = product.features
    app.available_features = product.available(settings)
    try:
        await (upgrade_schema(app.engine) if migrate else require_current_schema(app.engine))
    except BaseException:
        await app.close()
        raise
    await app.load_secrets()
    return app, Dispatcher(app, router_for(product.features), product.texts)


@asynccontextmanager
async def running(
    settings: Settings,
    clock: Clock | None = None,
    *,
    serve_web: bool = True,
    telegram_tuning: TelegramTuning | None = None,
    knowledge: Knowledge | None = None,
    product: Product | None = None,
    zalo_tuning: ZaloTuning | None = None,
    migrate: bool = True,
    reuse_port: bool = False,
) -> AsyncIterator[Runtime]:
    """Run the whole bot inside the `async with` block (every configured channel)."""
    app, dispatcher = await prepare(settings, clock, knowledge, product, migrate=migrate)
    runtime = Runtime(app, dispatcher, asyncio.Event())
    channels, mounts = build_channels(
        app, dispatcher, ChannelTuning(telegram=telegram_tuning, zalo=zalo_tuning)
    )
    for channel in channels:
        app.channels[channel.name] = channel
    try:
        for channel in app.channels.values():
            await channel.start()
        if serve_web:
            parts = feature_parts(app)
            web_app = build_web_app(app, [*mounts, *shared_mounts(parts)])
            runtime.web_runner = await start_web(app, web_app, reuse_port=reuse_port)
            runtime.feature_runners = await start_separate(parts, reuse_port=reuse_port)
        await _start_features(app)
        sender = OutboxSender(app)
        await sender.recover()
        runtime.tasks.append(asyncio.create_task(sender.run(runtime.stop), name="outbox"))
        for job in _jobs(app, dispatcher):
            runtime.tasks.append(
                asyncio.create_task(
                    _every(job, app, runtime.stop, sender.owner), name=f"job:{job.name}"
                )
            )
        app.ready = True
        yield runtime
    finally:
        app.ready = False
        runtime.stop.set()
        app.outbox_wakeup.set()
        await _finish_tasks(runtime.tasks, STOP_GRACE_SECONDS)
        await _stop_features(app)
        for runner in runtime.feature_runners:
            await runner.cleanup()
        if runtime.web_runner is not None:
            await runtime.web_runner.cleanup()
        for channel in app.channels.values():
            await channel.stop()
        await app.close()


async def _finish_tasks(tasks: Sequence[asyncio.Task[None]], grace_seconds: float) -> None:
    """Let the sender and the jobs end their current step; cancel what is still running after
    the grace (its work is in the database and is picked up again at the next start), so a
    stuck job cannot keep the channels and the database from closing."""
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=grace_seconds)
    for task in pending:
        task.cancel()
    if pending:
        names = ", ".join(sorted(task.get_name() for task in pending))
        logger.warning("stopping: cancelled %s after %.0fs", names, grace_seconds)
        await asyncio.gather(*pending, return_exceptions=True)


async def serve_forever(
    settings: Settings, product: Product | None = None, *, reuse_port: bool = False
) -> None:
    """`python -m bot run`: serve until SIGINT or SIGTERM (`reuse_port`: one of several
    workers sharing the port)."""
    _raise_file_limit()
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(AcceptErrorThrottle())
    # The embedded SQLite bot migrates itself; on PostgreSQL other workers may share the
    # database, so upgrading is a deploy step (`db upgrade`) and a worker refuses an old schema.
    async with running(
        settings,
        product=product,
        migrate=migrates_itself(settings.database_url),
        reuse_port=reuse_port,
    ) as runtime:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.stop.set)
        orphan_watch = (
            asyncio.create_task(_stop_when_orphaned(runtime.stop)) if reuse_port else None
        )
        logger.info(
            "web chat on http://%s:%s/", settings.web_host, runtime.web_port or settings.web_port
        )
        await runtime.stop.wait()
        if orphan_watch is not None:
            orphan_watch.cancel()
        logger.info("stopping")


async def _stop_when_orphaned(stop: asyncio.Event) -> None:
    """A worker whose supervisor died (kill -9) stops too: left running, it would keep
    serving the shared port with old code next to the workers of the next start."""
    parent = os.getppid()
    while not stop.is_set():
        await asyncio.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            logger.warning("the supervisor is gone: stopping this worker")
            stop.set()


def _raise_file_limit() -> None:
    """Use the hard limit of open files: the connection cap then leaves room to spare."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _jobs(app: AppContext, dispatcher: Dispatcher) -> list[Job]:
    """Housekeeping (the core's retention) and every feature's jobs."""
    flows = dispatcher.router.flows()

    async def housekeeping(app: AppContext) -> None:
        await tidy_up(app, flows)

    jobs = [Job("housekeeping", HOUSEKEEPING_SECONDS, housekeeping)]
    return jobs + [job for feature in app.features for job in feature.jobs]


async def tidy_up(app: AppContext, flows: Sequence[Flow] = ()) -> None:
    """Drop what is no longer needed, as the retention settings and flow timeouts say."""
    removed = await enforce_retention(app, flows)
    if any(removed.values()):
        logger.info(
            "housekeeping removed %s",
            ", ".join(f"{name}={count}" for name, count in removed.items() if count),
        )


async def _start_features(app: AppContext) -> None:
    for feature in app.features:
        if feature.on_start is None:
            continue
        try:
            await feature.on_start(app)
        except Exception:
            logger.exception("start-up of feature %s failed", feature.name)


async def _stop_features(app: AppContext) -> None:
    for feature in app.features:
        if feature.on_stop is None:
            continue
        try:
            await feature.on_stop(app)
        except Exception:
            logger.exception("stop of feature %s failed", feature.name)


async def _every(job: Job, app: AppContext, stop: asyncio.Event, owner: str) -> None:
    """Run `job` every `job.every` seconds, or earlier when woken (`AppContext.wake`).

    A period's run is claimed in the database first, so with several workers the job runs
    once per period, on whichever worker claims it (unless the job runs on every worker);
    a wake-up (work a turn just created in this worker) runs at once, whatever the period.
    """
    wakeup = app.job_wakeups.setdefault(job.name, asyncio.Event())
    woken = False
    while not stop.is_set():
        wakeup.clear()  # before the run, so a wake-up during it is not lost
        try:
            if woken or job.every_worker or await _claim(app, job, owner):
                await job.run(app)
        except Exception:
            logger.exception("periodic job %s failed", job.name)
        woken = await _woken_within(stop, wakeup, job.every)


async def _claim(app: AppContext, job: Job, owner: str) -> bool:
    async with app.transaction() as db:
        return await jobs.claim_period(
            db, job.name, owner, app.clock.now(), timedelta(seconds=job.every)
        )


async def _woken_within(stop: asyncio.Event, wakeup: asyncio.Event, seconds: float) -> bool:
    """Wait for the next period; True when woken early (not stopping, not the timer)."""
    await wait_for_either(stop, wakeup, seconds)
    return wakeup.is_set() and not stop.is_set()
