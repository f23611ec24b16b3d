"""`campaign check|preview` and `broadcast send|list|status|cancel` for organizers."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from bot.channels.console import render
from bot.clock import VN_TZ, SystemClock, format_local
from bot.commands.common import database
from bot.config import Settings
from bot.messages import Reply
from faq.kb import load_knowledge_base
from handlers.reminders import texts as say
from handlers.reminders.announcements import (
    MAX_TEXT_CHARS,
    Audience,
    BadAudience,
    count_audience,
)
from handlers.reminders.calendar import CalendarError, check_calendar, load_calendar
from handlers.reminders.daily import DayContent, calendar_path, campaign_dates, load_day
from storage import broadcasts, outbox_reports
from storage.models import OutboxMessage

ZALO_MAX_CHARS = 2000


def register(subparsers: Any) -> None:
    campaign = subparsers.add_parser("campaign", help="the 1-10 October reminder calendar")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    check = campaign_sub.add_parser("check", help="validate a campaign calendar file")
    check.add_argument("file", type=Path, nargs="?", help="default: the configured calendar")
    check.set_defaults(func=_check)
    preview = campaign_sub.add_parser("preview", help="print a day's reminder as sent")
    preview.add_argument("--day", type=int, required=True, help="1 to 10 (October)")
    preview.add_argument("--commune", help="as for a subscriber of this commune")
    preview.set_defaults(func=_preview)

    broadcast = subparsers.add_parser("broadcast", help="announcements to many people")
    sub = broadcast.add_subparsers(dest="broadcast_command", required=True)
    send = sub.add_parser("send", help="preview, then queue an announcement")
    send.add_argument("--text-file", type=Path, required=True, help="UTF-8 text file")
    send.add_argument(
        "--audience", required=True, help="subscribers, signups, signups:SESSION_ID or all"
    )
    send.add_argument("--commune", help="only people of this commune or ward")
    send.add_argument("--at", help='Vietnam time, e.g. "2027-10-03 08:00" (default: now)')
    send.add_argument("--dry-run", action="store_true", help="show the preview, queue nothing")
    send.set_defaults(func=_send)
    listing = sub.add_parser("list", help="recent announcements")
    listing.set_defaults(func=_list)
    status = sub.add_parser("status", help="delivery of one announcement")
    status.add_argument("id", type=int)
    status.add_argument("--follow", action="store_true", help="redraw until all is sent")
    status.set_defaults(func=_status)
    cancel = sub.add_parser("cancel", help="drop the unsent messages of an announcement")
    cancel.add_argument("id", type=int)
    cancel.set_defaults(func=_cancel)


async def _check(args: argparse.Namespace, settings: Settings) -> int:
    path = args.file or calendar_path(settings)
    try:
        calendar = load_calendar(path)
    except CalendarError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    problems = check_calendar(calendar, load_knowledge_base(settings.faq_data_dir))
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    sample = " (a SAMPLE: replace it with the province's programme)" if calendar.sample else ""
    print(f"ok: {len(calendar.days)} days in {path}{sample}")
    return 0


async def _preview(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    first, _ = campaign_dates(settings, now)
    knowledge = load_knowledge_base(settings.faq_data_dir)
    async with database(settings) as db:
        content = await load_day(settings, knowledge, db, first.replace(day=args.day), now)
    if content is None:
        print(f"day {args.day} has no entry in {calendar_path(settings)}", file=sys.stderr)
        return 1
    print(render_reminder(content, args.commune))
    return 0


def render_reminder(content: DayContent, commune: str | None) -> str:
    """What a subscriber (of `commune`) gets, as the console shows it."""
    reply = Reply.from_dict(content.reply(commune))
    return f"{render(reply)}\n\n({len(reply.text)} characters; Zalo allows {ZALO_MAX_CHARS})"


def _send_at(text: str | None) -> dt.datetime:
    if not text:
        return SystemClock().now()
    local = dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)
    return local.astimezone(dt.UTC)


async def _send(args: argparse.Namespace, settings: Settings) -> int:
    try:
        audience = Audience.parse(args.audience)
        send_at = _send_at(args.at)
    except (BadAudience, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    text = args.text_file.read_text(encoding="utf-8").strip()
    if not text or len(text) > MAX_TEXT_CHARS:
        print(f"the text must have 1 to {MAX_TEXT_CHARS} characters", file=sys.stderr)
        return 2
    now = SystemClock().now()
    async with database(settings) as db:
        counts = await count_audience(db, audience, args.commune, now)
        preview = say.announcement(text, to_subscribers=audience.kind != "signups")
        print(render(preview))
        print("\nAudience:", ", ".join(f"{c}: {n}" for c, n in sorted(counts.items())) or "nobody")
        print(f"Total: {sum(counts.values())}; sending at {format_local(send_at)}")
        if args.dry_run:
            print("dry run: nothing queued")
            return 0
        created = await broadcasts.create(
            db,
            text=text,
            audience=args.audience,
            commune=args.commune,
            send_at=send_at,
            created_by="cli",
            now=now,
        )
        await db.commit()
        print(f"queued as announcement {created.id}; follow it: broadcast status {created.id}")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        for item in await broadcasts.recent(db):
            first_line = item.text.splitlines()[0][:50]
            print(
                f"#{item.id} {item.status:<9} {format_local(item.send_at)} "
                f"{item.audience:<20} queued {item.queued:>6}  {first_line}"
            )
    return 0


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    while True:
        async with database(settings) as db:
            item = await broadcasts.get(db, args.id)
            if item is None:
                print(f"no announcement {args.id}", file=sys.stderr)
                return 1
            report = await outbox_reports.status_report(
                db, OutboxMessage.source == broadcasts.source_of(item.id)
            )
        counts = report.by_status
        done = sum(n for s, n in counts.items() if s not in ("pending", "sending"))
        total = sum(counts.values())
        line = (
            f"#{item.id} {item.status}: {progress_bar(done, total)} {done}/{total}  "
            f"sent {counts.get('sent', 0)}, failed {counts.get('failed', 0)}, "
            f"blocked {counts.get('unreachable', 0)}, opted out or cancelled "
            f"{counts.get('cancelled', 0)}, skipped {counts.get('skipped', 0)}, "
            f"in doubt {report.in_doubt_not_resent}"
        )
        finished = item.status in ("queued", "cancelled") and done == total
        if not args.follow or finished or not sys.stdout.isatty():
            print(line)
            return 0
        print("\r" + line, end="", flush=True)
        await asyncio.sleep(1)


def progress_bar(done: int, total: int, width: int = 24) -> str:
    filled = width if total == 0 else round(width * done / total)
    return "[" + "#" * filled + "." * (width - filled) + "]"


async def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        dropped = await broadcasts.cancel(db, args.id, SystemClock().now())
        await db.commit()
    if dropped is None:
        print(f"no announcement {args.id}", file=sys.stderr)
        return 1
    print(f"announcement {args.id} cancelled; {dropped} unsent message(s) dropped")
    return 0
