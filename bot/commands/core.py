"""`run`, `chat` and `db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from bot import workers
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.outbox import OutboxSender
from bot.runtime import prepare, serve_forever
from bot.webserver import PortInUse
from storage.db import create_engine, current_revision, upgrade_schema


def register(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="serve the web chat (and Telegram when configured)")
    run.add_argument(
        "--port", type=_port, help="port of the web chat (default: WEB_PORT, else 8080)"
    )
    run.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        help="worker processes sharing the port (PostgreSQL and webhooks only; default 1)",
    )
    # Set by the supervisor of `--workers N` for each of its workers.
    run.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    run.set_defaults(func=_run)
    chat = subparsers.add_parser(
        "chat",
        help="chat with the bot in this terminal",
        description="Chat with the bot in this terminal. Buttons are shown as a numbered "
        "list: type the number to press one. End with 'thoát', 'exit' or Ctrl+D.",
    )
    chat.set_defaults(func=_chat)
    db = subparsers.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="bring the schema up to date")
    upgrade.set_defaults(func=_db_upgrade)


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _worker_count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of workers (1-64)")
    return int(text)


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.port is not None:
        settings = settings.model_copy(update={"web_port": args.port})
    reason = workers.refusal(settings, args.workers)
    if reason is not None:
        print(f"cannot start: {reason}", file=sys.stderr)
        return 2
    try:
        if args.workers > 1:
            return await workers.Supervisor(
                args.workers, settings.web_host, settings.web_port
            ).run()
        await serve_forever(settings, args.product, reuse_port=args.worker)
    except PortInUse as error:
        print(f"cannot start: {error}", file=sys.stderr)
        return 2
    return 0


async def _chat(args: argparse.Namespace, settings: Settings) -> int:
    app, dispatcher = await prepare(settings, product=args.product)
    console = ConsoleChannel(dispatcher.texts.goodbye)
    app.channels[console.name] = console
    stop = asyncio.Event()
    sender = asyncio.create_task(OutboxSender(app).run(stop))
    try:
        await console.chat(dispatcher)
    finally:
        stop.set()
        app.outbox_wakeup.set()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        await app.close()
    return 0


async def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url, settings.database_schema)
    try:
        await upgrade_schema(engine)
        print(f"database at revision {await current_revision(engine)}")
    finally:
        await engine.dispose()
    return 0
