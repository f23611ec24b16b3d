"""`sessions import`, `sessions list` and `signups export` for organizers."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import SystemClock, to_local
from bot.commands.common import database
from bot.config import Settings
from handlers.signup import booking_texts as say
from handlers.signup.notices import promotion_message
from handlers.signup.sessions_file import SessionFileError, load_sessions
from handlers.signup.texts import STATUS_LABELS
from storage import help_sessions, outbox, signups
from storage.help_sessions import SessionSpec
from storage.models import HelpSession, Signup


def register(subparsers: Any) -> None:
    sessions = subparsers.add_parser("sessions", help="in-person help sessions")
    sessions_sub = sessions.add_subparsers(dest="sessions_command", required=True)
    load = sessions_sub.add_parser(
        "import", help="create or update sessions from a YAML file (by id)"
    )
    load.add_argument("file", type=Path)
    load.add_argument(
        "--prune",
        action="store_true",
        help="delete sessions missing from the file (refused for those with active sign-ups)",
    )
    load.add_argument(
        "--if-empty", action="store_true", help="import only when no session exists yet"
    )
    load.add_argument(
        "--dry-run", action="store_true", help="show what would change, change nothing"
    )
    load.set_defaults(func=_import)
    listing = sessions_sub.add_parser("list", help="sessions with seats taken, free and waitlist")
    listing.set_defaults(func=_list)
    people = subparsers.add_parser("signups", help="sign-ups for help sessions")
    people_sub = people.add_subparsers(dest="signups_command", required=True)
    export = people_sub.add_parser("export", help="write sign-ups to a CSV file for Excel")
    export.add_argument("--session", help="only this session id")
    export.add_argument("--csv", type=Path, required=True, dest="csv_file", help="output file")
    export.add_argument(
        "--delimiter", default=",", help="field separator (';' suits Excel set to Vietnamese)"
    )
    export.set_defaults(func=_export)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    return await import_file(
        settings,
        args.file,
        SystemClock().now(),
        prune=args.prune,
        if_empty=args.if_empty,
        dry_run=args.dry_run,
    )


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    return await list_sessions(settings, SystemClock().now())


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    return await export_csv(settings, args.csv_file, args.session, args.delimiter)


async def import_file(
    settings: Settings,
    path: Path,
    now: datetime,
    *,
    prune: bool = False,
    if_empty: bool = False,
    dry_run: bool = False,
    out: TextIO | None = None,
) -> int:
    """Import a session file in one transaction; exit code 1 when refused or invalid."""
    out = out or sys.stdout
    try:
        specs = load_sessions(path, settings.campaign_year, now)
    except SessionFileError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s); nothing imported", file=sys.stderr)
        return 1
    # Explicit commit/rollback: a refused import or a dry run leaves the database untouched.
    async with database(settings, create=True) as db:
        if if_empty and await db.scalar(select(func.count()).select_from(HelpSession)):
            print(f"sessions already present; {path} not imported", file=out)
            return 0
        report = await apply_sessions(db, specs, now, prune=prune)
        if report.refused:
            await db.rollback()
            for reason in report.refused:
                print(f"refused: {reason}", file=sys.stderr)
            print("nothing imported", file=sys.stderr)
            return 1
        for warning in report.warnings:
            print(f"warning: {warning}", file=out)
        print(
            f"{'dry run, would have ' if dry_run else ''}created {len(report.created)}, "
            f"updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
            f"deleted {len(report.deleted)}, kept (not in file) {len(report.kept)}, "
            f"promoted from waitlist {len(report.promoted)}",
            file=out,
        )
        await (db.rollback() if dry_run else db.commit())
    return 0


async def apply_sessions(
    db: AsyncSession, specs: Sequence[SessionSpec], now: datetime, *, prune: bool = False
) -> help_sessions.ImportReport:
    """Create or update sessions and queue the notices of people promoted from a waitlist;
    the caller rolls back when `report.refused` (the dashboard's edits use it too)."""
    report = await help_sessions.import_sessions(db, specs, now, prune=prune)
    if not report.refused:
        for session, person in report.promoted:
            await outbox.enqueue(db, promotion_message(session, person), now)
    return report


async def list_sessions(settings: Settings, now: datetime, out: TextIO | None = None) -> int:
    """Print every session with seats taken, free and the waitlist length."""
    out = out or sys.stdout
    async with database(settings) as db:
        rows = await help_sessions.all_sessions(db)
    if not rows:
        print("no sessions; import some with: python -m bot sessions import FILE.yaml", file=out)
        return 0
    header = f"{'id':<28} {'start (VN)':<16} {'cap':>4} {'taken':>5} {'free':>4} {'wait':>4}  "
    print(header + "commune / title", file=out)
    for seats in rows:
        session = seats.session
        past = " (past)" if session.starts_at <= now else ""
        print(
            f"{session.slug:<28} {to_local(session.starts_at):%Y-%m-%d %H:%M} "
            f"{session.capacity:>4} {seats.confirmed:>5} {seats.free:>4} {seats.waitlisted:>4}  "
            f"{session.commune} / {session.title}{past}",
            file=out,
        )
    return 0


def _cell(value: str) -> str:
    """Stop Excel from running citizen-typed text as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _phone_for_excel(phone: str) -> str:
    """'0912345678' -> '0912 345 678': with spaces Excel keeps it as text and the leading 0."""
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}" if len(phone) == 10 else phone


def _local(moment: datetime | None) -> str:
    return "" if moment is None else f"{to_local(moment):%d/%m/%Y %H:%M}"


async def export_csv(
    settings: Settings,
    path: Path,
    session_slug: str | None = None,
    delimiter: str = ",",
    out: TextIO | None = None,
) -> int:
    """Write sign-ups as UTF-8 with BOM (Excel then shows the diacritics), one row each."""
    out = out or sys.stdout
    async with database(settings) as db:
        if (
            session_slug is not None
            and await help_sessions.session_by_slug(db, session_slug) is None
        ):
            print(f"no session with id {session_slug!r}", file=sys.stderr)
            return 1
        rows = await signups.export_rows(db, session_slug)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        write_csv(handle, rows, delimiter)
    print(f"{len(rows)} sign-up(s) written to {path}", file=out)
    return 0


def write_csv(
    handle: TextIO, rows: Sequence[tuple[Signup, HelpSession]], delimiter: str = ","
) -> None:
    """The header and one row per sign-up (the dashboard's export writes the same)."""
    writer = csv.writer(handle, delimiter=delimiter)
    writer.writerow(say.CSV_HEADERS)
    for signup, session in rows:
        writer.writerow(
            [
                signup.code,
                STATUS_LABELS.get(signup.status, signup.status),
                session.slug,
                session.title,
                session.commune,
                session.place,
                _local(session.starts_at),
                _cell(signup.full_name),
                _phone_for_excel(signup.phone),
                _cell(signup.need),
                signup.channel,
                _local(signup.created_at),
                _local(signup.cancelled_at),
                _local(signup.attended_at),
                "có" if signup.walk_in else "",
            ]
        )
