"""`outbox status`: what is queued, sent, failed, and what a crash left in doubt."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.clock import format_local
from bot.commands.common import database
from bot.config import Settings
from bot.privacy import mask_id
from storage import outbox_reports


def register(subparsers: Any) -> None:
    command = subparsers.add_parser("outbox", help="messages queued to people")
    sub = command.add_subparsers(dest="outbox_command", required=True)
    status = sub.add_parser("status", help="counts by status and messages left in doubt")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(func=_status)


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        report = await outbox_reports.status_report(db)
        doubted = await outbox_reports.in_doubt_rows(db, limit=20)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return 0
    print("Outbox messages by status:")
    for status, count in sorted(report.by_status.items()):
        print(f"  {status:<12} {count:>8}")
    if report.oldest_pending_at is not None:
        print(f"Oldest message waiting: queued {format_local(report.oldest_pending_at)}")
    print(
        "In doubt (on the wire when a sender stopped): "
        f"{report.in_doubt_resent} sent again, {report.in_doubt_not_resent} not sent again"
    )
    for row in doubted:
        assert row.in_doubt_at is not None
        print(
            f"  #{row.id} {row.kind} to {row.channel} {mask_id(row.chat_id)} "
            f"at {format_local(row.in_doubt_at)}: {row.status}"
        )
    return 0
