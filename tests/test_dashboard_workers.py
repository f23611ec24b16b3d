"""The dashboard with `run --workers 2` on PostgreSQL: an account made with the real CLI
(password on stdin), a log-in that holds whichever worker answers, on the dashboard's own
port shared by both workers."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import aiohttp

from bot.config import Settings
from tests.dashboard_support import KEY, PASSWORD, csrf_in
from tests.processes import ROOT, BotProcess


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def add_account(env: dict[str, str], username: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "accounts", "add", username, "--role", "organizer",
        cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate(f"{PASSWORD}\n".encode())
    assert process.returncode == 0, output.decode()
    assert PASSWORD not in output.decode()


async def test_two_workers_share_the_log_in_and_the_dashboard_port(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "DATABASE_URL": postgres_settings.database_url,
        "DATABASE_SCHEMA": postgres_settings.database_schema or "",
        "DASHBOARD_SECRET_KEY": KEY,
        "DASHBOARD_SECURE_COOKIE": "false",
        "DASHBOARD_HOST": "127.0.0.1",
        "DASHBOARD_PORT": str(port),
        "LOG_LEVEL": "INFO",
    }
    bot = BotProcess(env, tmp_path / "bot.log", args=["--workers", "2"])
    await bot.upgrade()
    await add_account(bot.env, "bantochuc")
    await bot.start(within=60)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while bot.new_log().count(f"/dashboard served on 127.0.0.1:{port}") < 2:
            assert loop.time() < deadline, bot.new_log()
            await asyncio.sleep(0.1)
        base = f"http://127.0.0.1:{port}/dashboard"
        # A new connection per request: the kernel spreads them over both workers.
        async with aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(force_close=True),
        ) as http:
            async with http.get(f"{base}/login") as page:
                token = csrf_in(await page.text())
            form = {"csrf": token, "username": "bantochuc", "password": PASSWORD}
            async with http.post(f"{base}/login", data=form) as logged:
                assert logged.status == 200 and "Tổng quan" in await logged.text()
            for _ in range(12):
                async with http.get(f"{base}/overview") as overview:
                    assert overview.status == 200
                    token = csrf_in(await overview.text())
                async with http.post(f"{base}/logout", data={"csrf": "forged"}) as forged:
                    assert forged.status == 403
    finally:
        assert await bot.stop() == 0
    log = bot.log()
    assert PASSWORD not in log and "Traceback" not in log
