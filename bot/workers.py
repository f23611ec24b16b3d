"""`python -m bot run --workers N`: N worker processes serving one port (SO_REUSEPORT).

The supervisor only starts, watches and stops the workers; each worker is a whole bot
(`python -m bot run --worker`) with its own event loop and database pool. Everything they
must agree on lives in PostgreSQL (conversations, inbox, outbox leases, job periods) or Redis
(send budgets, 429 pauses), so any worker may take any request.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import Settings
from bot.webserver import bind
from storage.db import migrates_itself

logger = logging.getLogger(__name__)

# A worker that exits with an error code within this long of its start failed to start
# (old schema, bad settings): the supervisor stops instead of restarting it in a loop.
START_FAILURE_SECONDS = 15.0
RESTART_DELAY_SECONDS = 1.0
STOP_TIMEOUT_SECONDS = 30.0


def refusal(settings: Settings, workers: int) -> str | None:
    """Why these settings cannot run `workers` processes, or None when they can."""
    if workers <= 1:
        return None
    if migrates_itself(settings.database_url):
        return (
            "--workers above 1 needs PostgreSQL: SQLite is a single process's database "
            "(set DATABASE_URL=postgresql+asyncpg://..., run `python -m bot db upgrade`, "
            "then start the workers), or run one worker"
        )
    if settings.telegram_bot_token is not None and not settings.telegram_webhook_url:
        return (
            "--workers above 1 needs Telegram in webhook mode: only one process may poll a "
            "bot token (set TELEGRAM_WEBHOOK_URL, or run one worker)"
        )
    if settings.zalo_bot_token is not None and not settings.zalo_bot_webhook_url:
        return (
            "--workers above 1 needs the Zalo Bot in webhook mode: only one process may poll "
            "its token (set ZALO_BOT_WEBHOOK_URL, or run one worker)"
        )
    return None


@dataclass
class _Worker:
    index: int
    process: asyncio.subprocess.Process
    started: float


@dataclass
class Supervisor:
    """Starts `count` workers on `port`, restarts one that dies, stops all on SIGTERM."""

    count: int
    host: str
    port: int
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    _workers: dict[int, _Worker] = field(default_factory=dict)
    _metrics_dir: Path | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stopping.set)
        # Bound, not listening: it fixes the port (0 picks a free one) for every worker and
        # takes no connections itself (only listening sockets do).
        reserved = bind(self.host, self.port, reuse_port=True, listen=False)
        self.port = int(reserved.getsockname()[1])
        self._metrics_dir = _metrics_dir()
        try:
            for index in range(self.count):
                await self._start(index)
            logger.info("%d workers serving port %d", self.count, self.port)
            reserved.close()  # the workers' listening sockets hold the port now
            return await self._watch()
        finally:
            reserved.close()
            await self._stop_all()
            if self._metrics_dir is not None and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
                shutil.rmtree(self._metrics_dir, ignore_errors=True)

    async def _start(self, index: int) -> None:
        assert self._metrics_dir is not None
        env = {
            **os.environ,
            "PROMETHEUS_MULTIPROC_DIR": str(self._metrics_dir),
            "BOT_WORKER_INDEX": str(index),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            _entry_module(),
            "run",
            "--worker",
            "--port",
            str(self.port),
            env=env,
        )
        self._workers[index] = _Worker(index, process, asyncio.get_running_loop().time())
        logger.info("worker %d started (pid %d)", index, process.pid)

    async def _watch(self) -> int:
        """Until a stop: restart a worker that dies; a worker that cannot start ends it all."""
        loop = asyncio.get_running_loop()
        while not self.stopping.is_set():
            waits = {
                asyncio.ensure_future(worker.process.wait()): worker
                for worker in self._workers.values()
            }
            stop = asyncio.ensure_future(self.stopping.wait())
            done, _ = await asyncio.wait({*waits, stop}, return_when=asyncio.FIRST_COMPLETED)
            for future in (*waits, stop):
                if future not in done:
                    future.cancel()
            if self.stopping.is_set():
                return 0
            for future in done:
                worker = waits[future]
                code = worker.process.returncode
                # A worker killed by a signal (negative code) is restarted; one that exits
                # with an error right after its start will fail the same way again.
                quick = loop.time() - worker.started < START_FAILURE_SECONDS
                if code is not None and code > 0 and quick:
                    logger.error("worker %d failed to start (exit %s)", worker.index, code)
                    return code
                logger.warning("worker %d exited (%s): restarting it", worker.index, code)
                await asyncio.sleep(RESTART_DELAY_SECONDS)
                await self._start(worker.index)
        return 0

    async def _stop_all(self) -> None:
        """SIGTERM to every worker (each finishes its updates), SIGKILL after the timeout."""
        running = [w.process for w in self._workers.values() if w.process.returncode is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        if not running:
            return
        waiting = asyncio.gather(*(process.wait() for process in running))
        try:
            await asyncio.wait_for(waiting, STOP_TIMEOUT_SECONDS)
        except TimeoutError:
            for process in running:
                if process.returncode is None:
                    process.kill()
            await asyncio.gather(*(process.wait() for process in running))
            logger.error("workers killed after %.0fs without stopping", STOP_TIMEOUT_SECONDS)
        logger.info("all workers stopped")


def _entry_module() -> str:
    """The module this supervisor was started as (`python -m bot`, or a deployment's own
    entry point with its product): each worker runs the same one."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    name = getattr(spec, "name", None)
    return str(name).removesuffix(".__main__") if name else "bot"


def _metrics_dir() -> Path:
    """Where the workers' metrics meet (prometheus_client multiprocess mode): the operator's
    PROMETHEUS_MULTIPROC_DIR, else a fresh folder removed at the end. A dead worker's
    counters stay in it, so totals never go backwards when a worker is restarted."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # a previous run's counters would add up
            stale.unlink()
        return path
    return Path(tempfile.mkdtemp(prefix="bot-metrics-"))
