"""A real `python -m bot run` in a child process, for crash and log tests."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"web chat on http://127\.0\.0\.1:(\d+)/")
_WORKER_STARTED = re.compile(r"worker \d+ started \(pid (\d+)\)")


# Every started bot, so that a failing test cannot leave one running (tests/conftest.py).
STARTED: list[BotProcess] = []


class BotProcess:
    """Start, kill -9 or stop the bot; its whole log (stderr and stdout) goes to a file.

    `module` is what runs (`python -m <module> run <args>`); with `--workers N` in `args`,
    a start waits until all N workers listen.
    """

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        *,
        module: str = "bot",
        args: Sequence[str] = (),
    ) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEB_"))},
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": "0",
            "OUTBOX_POLL_SECONDS": "0.2",
            **env,
        }
        self.log_path = log_path
        self.process: asyncio.subprocess.Process | None = None
        self.port = 0
        self._log_offset = 0
        self._upgraded = False
        self.module = module
        self.args = list(args)
        self.workers = (
            int(self.args[self.args.index("--workers") + 1]) if "--workers" in args else 1
        )

    async def command(self, *args: str, within: float = 60.0) -> tuple[int, str]:
        """`python -m <module> <args>` to its end, in this bot's environment: exit code and
        output (stdout and stderr)."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            *args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), within)
        return int(process.returncode or 0), output.decode("utf-8", "replace")

    async def upgrade(self) -> None:
        """`python -m bot db upgrade`, the deploy step before workers start on PostgreSQL."""
        code, output = await self.command("db", "upgrade")
        assert code == 0, output
        self._upgraded = True

    async def start(self, within: float = 30.0) -> int:
        """Upgrade the schema the first time, start, and wait until the web server listens;
        returns its port."""
        if not self._upgraded:
            await self.upgrade()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                "run",
                *self.args,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        STARTED.append(self)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            listening = _LISTENING.findall(self.new_log())
            if len(listening) >= self.workers:
                self.port = int(listening[0])
                return self.port
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise RuntimeError(f"the bot did not start:\n{self.new_log()}")

    def new_log(self) -> str:
        """The log written since the last start."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode("utf-8", "replace")

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def worker_pids(self) -> list[int]:
        """The pids of the workers started since the last start (`--workers`), in order."""
        return [int(pid) for pid in _WORKER_STARTED.findall(self.new_log())]

    def kill_if_running(self) -> None:
        """After a test: kill -9 what may still run (its workers follow their supervisor)."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGKILL)

    async def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM and wait: a graceful stop."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return int(self.process.returncode or 0)
