"""A few thousand generated bad requests against a real `python -m bot run`:
no 5xx, no traceback in its log, no secret or full chat id in it, and the bot still works."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from pathlib import Path

import aiohttp

from bot.config import Settings
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.fuzz import Request, web_requests, webhook_requests
from tests.processes import BotProcess

SECRET = "fuzz-secret_0123456789"
WEB_REQUESTS = 2500
WEBHOOK_REQUESTS = 1000


async def send(http: aiohttp.ClientSession, base: str, request: Request) -> int:
    try:
        async with http.request(
            request.method,
            base + request.path,
            data=request.body,
            headers=request.headers,
            params=request.params,
        ) as response:
            await response.read()
            return response.status
    except aiohttp.ClientError:
        return -1  # the server closed the connection (counted, and must not happen)


async def test_thousands_of_bad_requests(settings: Settings, tmp_path: Path) -> None:
    async with FakeTelegram() as fake:
        env = {
            "DATABASE_URL": settings.database_url,
            "DATABASE_SCHEMA": settings.database_schema or "",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.base_url,
            "TELEGRAM_WEBHOOK_URL": "https://bot.example/telegram/webhook",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_RATE_PER_SECOND": "0",
            "TELEGRAM_CHAT_RATE_PER_SECOND": "0",
            # The limits are tested elsewhere; here every request must reach the handlers.
            "WEB_RATE_PER_MINUTE": "1000000",
            "WEB_RATE_BURST": "1000000",
            "WEB_RATE_PER_CLIENT_PER_MINUTE": "1000000",
            "WEB_RATE_CLIENT_BURST": "1000000",
            "WEB_NEW_CHATS_PER_CLIENT_PER_HOUR": "1000000",
            "WEB_NEW_CHATS_BURST": "1000000",
            "WEB_RATE_GLOBAL_PER_SECOND": "0",
            "LOG_LEVEL": "INFO",
        }
        bot = BotProcess(env, tmp_path / "bot.log")
        base = f"http://127.0.0.1:{await bot.start()}"
        rng = random.Random(20261010)
        statuses: dict[str, Counter[int]] = {"web": Counter(), "webhook": Counter()}
        async with aiohttp.ClientSession() as http:
            known = []
            for _ in range(5):
                async with http.post(base + "/api/chat", json={"text": "/start"}) as response:
                    known.append((await response.json())["session"])
            slots = asyncio.Semaphore(16)

            async def one(kind: str, request: Request) -> None:
                async with slots:
                    statuses[kind][await send(http, base, request)] += 1

            await asyncio.gather(
                *(one("web", r) for r in web_requests(rng, WEB_REQUESTS, known)),
                *(one("webhook", r) for r in webhook_requests(rng, WEBHOOK_REQUESTS, SECRET)),
            )
            # Still works: a real question gets a real answer.
            async with http.post(
                base + "/api/chat", json={"session": known[0], "text": "vneid là gì"}
            ) as response:
                assert response.status == 200 and (await response.json())["replies"]
        await bot.stop()
    total = Counter[int]()
    for counts in statuses.values():
        total.update(counts)
    print(f"\nfuzz: {sum(total.values())} requests, statuses {dict(sorted(total.items()))}")
    for kind, counts in statuses.items():
        print(f"  {kind}: {dict(sorted(counts.items()))}")
    assert sum(total.values()) == WEB_REQUESTS + WEBHOOK_REQUESTS
    assert not [status for status in total if status >= 500 or status < 0]
    log = bot.log()
    print(f"  log: {log.count(chr(10))} lines, {log.count('Traceback')} tracebacks")
    assert "Traceback" not in log and " ERROR " not in log and " CRITICAL " not in log
    assert TOKEN not in log and SECRET not in log
    assert "7200000001" not in log and "1001234567890" not in log
    assert all(session not in log for session in known)
