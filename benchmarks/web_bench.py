"""Web chat API throughput and latency, next to a bare aiohttp endpoint as the baseline.

Run from the repository root:  .venv/bin/python benchmarks/web_bench.py [--requests 2000]
Both servers run in this process on 127.0.0.1 and are driven by the same aiohttp client load:
`--sessions` conversations, each sending its questions one after another (as a person would),
all conversations at once. The bot answers from the real knowledge base and stores state in a
fresh SQLite file (and PostgreSQL when TEST_POSTGRES_URL or 127.0.0.1:5432 answers).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from aiohttp import ClientSession, web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.runtime import running

QUESTIONS = [
    "quên mật khẩu vneid thì làm sao",
    "dang ky dinh danh muc 2 o dau",
    "ngày chuyển đổi số quốc gia là ngày nào",
    "nop ho so dich vu cong the nao",
    "co nguoi goi xung cong an bao cai app",
    "xin chào",
    "giá vàng hôm nay",
    "thanh toán qr có an toàn không",
]
POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


async def drive(base_url: str, sessions: int, per_session: int) -> tuple[float, list[float]]:
    """Send the load; return (elapsed seconds, per-request latencies in ms)."""
    latencies: list[float] = []

    async def one_conversation(client: ClientSession, index: int) -> None:
        session = ""
        for i in range(per_session):
            body = {"session": session, "text": QUESTIONS[(index + i) % len(QUESTIONS)]}
            start = time.perf_counter()
            async with client.post(f"{base_url}/api/chat", json=body) as response:
                data = await response.json()
                assert response.status == 200, data
            latencies.append((time.perf_counter() - start) * 1000)
            session = data["session"]

    async with ClientSession() as client:
        start = time.perf_counter()
        await asyncio.gather(*(one_conversation(client, i) for i in range(sessions)))
        return time.perf_counter() - start, latencies


async def bench_bot(database_url: str, schema: str | None, sessions: int, per: int) -> tuple:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            database_url=database_url.replace("{tmp}", tmp),
            database_schema=schema,
            web_port=0,
            web_rate_burst=10_000,
            web_rate_per_minute=1_000_000,
            log_level="WARNING",
        )
        async with running(settings) as runtime:
            return await drive(f"http://127.0.0.1:{runtime.web_port}", sessions, per)


async def bench_baseline(sessions: int, per: int) -> tuple:
    """A bare aiohttp handler returning the same JSON shape, no dispatcher, no database."""

    async def chat(request: web.Request) -> web.Response:
        body = await request.json()
        reply = {"text": body.get("text", ""), "buttons": []}
        return web.json_response({"session": body.get("session") or "s" * 24, "replies": [reply]})

    app = web.Application()
    app.router.add_post("/api/chat", chat)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        return await drive(f"http://127.0.0.1:{port}", sessions, per)
    finally:
        await runner.cleanup()


async def postgres_schema() -> str | None:
    try:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""), timeout=3)
    except Exception:
        return None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    await connection.close()
    return schema


async def drop_schema(schema: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("+asyncpg", ""))
    await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await connection.close()


def row(name: str, elapsed: float, latencies: list[float], baseline_rps: float | None) -> str:
    rps = len(latencies) / elapsed
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    ratio = f"{rps / baseline_rps:6.2f}" if baseline_rps else "  1.00"
    return (
        f"{name:<28} {len(latencies):>8} {rps:>10.0f} {statistics.median(latencies):>10.1f}"
        f" {p99:>10.1f} {ratio:>8}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="total requests per run")
    args = parser.parse_args()
    per = max(1, args.requests // args.sessions)
    print(f"{args.sessions} conversations x {per} messages each, all conversations at once\n")
    header = ("server", "requests", "req/s", "p50 ms", "p99 ms", "vs base")
    print(f"{header[0]:<28} " + " ".join(f"{h:>10}" for h in header[1:5]) + f" {header[5]:>8}")
    base_elapsed, base_lat = await bench_baseline(args.sessions, per)
    base_rps = len(base_lat) / base_elapsed
    print(row("baseline: bare aiohttp echo", base_elapsed, base_lat, None))
    elapsed, lat = await bench_bot("sqlite+aiosqlite:///{tmp}/bench.db", None, args.sessions, per)
    print(row("bot, SQLite", elapsed, lat, base_rps))
    schema = await postgres_schema()
    if schema is None:
        print("bot, PostgreSQL: skipped (not reachable at 127.0.0.1:5432)")
        return
    try:
        elapsed, lat = await bench_bot(POSTGRES_URL, schema, args.sessions, per)
        print(row("bot, PostgreSQL", elapsed, lat, base_rps))
    finally:
        await drop_schema(schema)


if __name__ == "__main__":
    asyncio.run(main())
