"""Several real worker processes (`run --workers N`) on one PostgreSQL: per-chat order, jobs
once per period, one shared send budget, leases taken over after a kill -9, an old schema
refused, and /metrics adding the workers up."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import pytest

from bot.config import Settings
from bot.context import Knowledge
from storage.db import create_engine, upgrade_schema
from storage.models import OutboxStatus
from tests.fake_telegram import FakeTelegram, Limits
from tests.processes import BotProcess
from tests.redis_support import REDIS_URL, redis_reachable
from tests.test_crash_recovery import (
    SECRET,
    assert_log_is_clean,
    bot_env,
    outbox_rows,
    queue_promotions,
    start_update,
)

WEBHOOK_URL = "https://bot.example/telegram/webhook"
FIRST_CHAT = 7_300_000_000


def webhook_env(settings: Settings, fake: FakeTelegram, **extra: str) -> dict[str, str]:
    values = {"TELEGRAM_WEBHOOK_URL": WEBHOOK_URL, "TELEGRAM_WEBHOOK_SECRET": SECRET}
    return bot_env(settings, fake, **{**values, "LOG_LEVEL": "INFO", **extra})


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, object]:
    update = start_update(update_id, chat_id)
    message = update["message"]
    assert isinstance(message, dict)
    message["text"] = text
    message.pop("entities", None)
    if text.startswith("/"):
        command = text.split()[0]
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return update


async def post(url: str, update: dict[str, object]) -> int:
    """One update on a new connection: the kernel picks a worker for each connection."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.post(url, json=update, headers=headers) as response,
    ):
        return response.status


async def test_two_workers_keep_each_chats_order_run_a_job_once_per_period_and_add_up_metrics(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    chats = [FIRST_CHAT + index for index in range(12)]
    per_chat = 8
    ticks = tmp_path / "ticks.txt"
    async with FakeTelegram() as fake:
        env = webhook_env(postgres_settings, fake, TICK_FILE=str(ticks), TICK_SECONDS="2")
        bot = BotProcess(
            env, tmp_path / "bot.log", module="tests.worker_bot", args=["--workers", "2"]
        )
        port = await bot.start()
        url = f"http://127.0.0.1:{port}/telegram/webhook"

        async def one_chat(chat: int) -> list[int]:
            # In order, each posted once the previous one is acknowledged (stored), as
            # Telegram does; the previous one may still be handled by the other worker.
            return [
                await post(url, text_update(chat * 100 + n, chat, f"/seq m{n}"))
                for n in range(per_chat)
            ]

        statuses = await asyncio.gather(*(one_chat(chat) for chat in chats))
        assert {status for chat in statuses for status in chat} == {200}
        await fake.wait_for(
            lambda: all(len(fake.messages_to(chat)) >= per_chat for chat in chats), within=60
        )
        await asyncio.sleep(4.5)  # a few more periods of the job
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                metrics = await response.text()
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                assert response.status == 200
        assert await bot.stop() == 0
    pids: set[str] = set()
    for chat in chats:
        texts = [m["text"] for m in fake.messages_to(chat)]
        expected = [f"seq={n + 1} m{n}" for n in range(per_chat)]
        assert [text.rsplit(" pid=", 1)[0] for text in texts] == expected, texts
        pids |= {text.rsplit(" pid=", 1)[1] for text in texts}
    assert len(pids) == 2, "both workers handled updates"

    runs = [line.split() for line in ticks.read_text().splitlines()]
    times = sorted(float(at) for _, at in runs)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # Every 2 s across both workers: a period run by both would show as a gap near 0.
    assert len(runs) >= 3 and min(gaps) > 1.0, f"a period ran twice: {gaps}"

    handled = sum_samples(metrics, "bot_updates_total", channel="telegram")
    assert handled == len(chats) * per_chat  # both workers' counters, added up
    assert sum_samples(metrics, "bot_turn_seconds_count", channel="telegram") == handled
    assert "bot_outbox_messages" in metrics and "bot_tickets" in metrics
    assert_log_is_clean(bot.log(), chats)


def sum_samples(text: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"{name}\{{(.*)\}} (\S+)$", line)
        if match and all(f'{key}="{value}"' in match.group(1) for key, value in labels.items()):
            total += float(match.group(2))
    return total


async def test_four_workers_share_one_telegram_budget(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    if not await redis_reachable():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    chats = [FIRST_CHAT + 1000 + index for index in range(150)]
    async with FakeTelegram(limits=Limits()) as fake:
        env = webhook_env(
            postgres_settings,
            fake,
            REDIS_URL=REDIS_URL,
            REDIS_KEY_PREFIX=f"test-{uuid.uuid4().hex[:8]}",
        )
        bot = BotProcess(
            env, tmp_path / "bot.log", module="tests.worker_bot", args=["--workers", "4"]
        )
        port = await bot.start()
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        statuses = await asyncio.gather(
            *(post(url, text_update(chat, chat, "/seq x")) for chat in chats)
        )
        assert Counter(statuses) == {200: len(chats)}
        await fake.wait_for(lambda: all(fake.messages_to(chat) for chat in chats), within=60)
        assert await bot.stop() == 0
    pids = {m["text"].rsplit(" pid=", 1)[1] for m in fake.sent}
    assert len(pids) >= 2, "the replies came from several workers"
    # Telegram's limits, enforced by the fake: 30 messages a second overall.
    assert fake.too_many == 0


async def test_a_killed_workers_leased_messages_go_out_after_the_lease(
    postgres_settings: Settings, knowledge: Knowledge, tmp_path: Path
) -> None:
    promoted = await queue_promotions(postgres_settings, knowledge, 30)
    async with FakeTelegram(send_delay=0.3) as fake:
        env = webhook_env(postgres_settings, fake, OUTBOX_LEASE_SECONDS="3")
        bot = BotProcess(env, tmp_path / "bot.log", args=["--workers", "2"])
        await bot.start()
        await fake.wait_for(lambda: len(fake.sent) >= 4, within=30)
        # The worker holding the most leases (owner "host:pid:suffix") is killed.
        leases = Counter(
            row.lease_owner
            for row in await outbox_rows(postgres_settings, knowledge)
            if row.lease_owner is not None and row.status != OutboxStatus.SENT
        )
        owner, held = leases.most_common(1)[0]
        victim = int(owner.split(":")[1])
        assert victim in bot.worker_pids()
        await kill9(victim)
        killed_at = len(fake.sent)
        await fake.wait_for(lambda: all(fake.messages_to(chat) for chat in promoted), within=60)
        for _ in range(200):  # the rows the dead worker had on the wire, once leases expire
            rows = await outbox_rows(postgres_settings, knowledge)
            if all(row.status == OutboxStatus.SENT for row in rows):
                break
            await asyncio.sleep(0.2)
        assert await bot.stop() == 0
    rows = await outbox_rows(postgres_settings, knowledge)
    assert Counter(row.status for row in rows) == {OutboxStatus.SENT: 30}
    received = Counter(int(m["chat_id"]) for m in fake.sent)
    assert set(received) == set(promoted)
    duplicates = sum(count - 1 for count in received.values())
    in_doubt = sum(row.in_doubt_at is not None for row in rows)
    assert duplicates <= in_doubt  # only what was on the wire may arrive twice, counted
    assert "exited (-9): restarting it" in bot.log()
    print(
        f"\nworker kill: 30 queued, {killed_at} sent when the worker holding {held} leases "
        f"was killed, all 30 sent, in doubt {in_doubt}, duplicates {duplicates}"
    )


async def kill9(pid: int) -> None:
    process = await asyncio.create_subprocess_exec("kill", "-9", str(pid))
    await process.wait()


async def run_command(env: dict[str, str], *args: str) -> tuple[int, str]:
    return await BotProcess(env, Path("/dev/null")).command(*args)


async def test_a_worker_refuses_an_old_schema(postgres_settings: Settings) -> None:
    env = {
        "DATABASE_URL": postgres_settings.database_url,
        "DATABASE_SCHEMA": postgres_settings.database_schema or "",
    }
    code, output = await run_command(env, "run")
    assert code == 1 and "empty database" in output and "db upgrade" in output
    engine = create_engine(postgres_settings.database_url, postgres_settings.database_schema)
    try:
        await upgrade_schema(engine, "0006")
    finally:
        await engine.dispose()
    code, output = await run_command(env, "run", "--workers", "2")
    assert code != 0 and "revision 0006" in output and "db upgrade" in output
    code, output = await run_command(env, "db", "upgrade")
    assert code == 0


async def test_several_workers_are_refused_where_they_would_be_wrong(tmp_path: Path) -> None:
    sqlite = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db"}
    code, output = await run_command(sqlite, "run", "--workers", "2")
    assert code == 2 and "needs PostgreSQL" in output
    polling = {
        "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        "TELEGRAM_BOT_TOKEN": "123:abc",
    }
    code, output = await run_command(polling, "run", "--workers", "2")
    assert code == 2 and "only one process may poll" in output
    assert "123:abc" not in output


async def test_workers_stop_when_their_supervisor_is_killed(
    postgres_settings: Settings, tmp_path: Path
) -> None:
    env = {
        "DATABASE_URL": postgres_settings.database_url,
        "DATABASE_SCHEMA": postgres_settings.database_schema or "",
    }
    bot = BotProcess(env, tmp_path / "bot.log", args=["--workers", "2"])
    await bot.start()
    workers = bot.worker_pids()
    await bot.kill9()  # the supervisor only
    for _ in range(100):
        if not any(alive(pid) for pid in workers):
            break
        await asyncio.sleep(0.1)
    assert not any(alive(pid) for pid in workers), "orphaned workers kept serving"
    assert bot.log().count("the supervisor is gone: stopping this worker") == 2


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()
