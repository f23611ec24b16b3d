"""`tickets list|show|stats` and `faq drafts list|show|approve|reject` for organizers."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import VN_TZ, SystemClock, format_local
from bot.commands.common import database
from bot.config import Settings
from bot.privacy import mask_id, redact_personal
from handlers.volunteers import drafts
from handlers.volunteers.stats import describe_duration, stats_lines
from storage import faq_drafts, tickets
from storage.models import FaqDraftStatus, Ticket, TicketStatus


def register(subparsers: Any) -> None:
    command = subparsers.add_parser("tickets", help="questions handed to volunteers")
    sub = command.add_subparsers(dest="tickets_command", required=True)
    listing = sub.add_parser("list", help="open tickets and how long they wait")
    listing.add_argument("--all", action="store_true", help="closed ones of the last 7 days too")
    listing.set_defaults(func=_list)
    show = sub.add_parser("show", help="one ticket and its messages (masked)")
    show.add_argument("ticket_id", type=int)
    show.set_defaults(func=_show)
    stats = sub.add_parser("stats", help="waiting, first answers, volunteers, ratings")
    stats.add_argument("--days", type=int, default=30, help="tickets opened in this many days")
    stats.set_defaults(func=_stats)
    faq = subparsers.choices.get("faq")
    if faq is not None:  # the faq feature's command takes the drafts verbs
        _register_drafts(faq.get_default("verbs"))


def _register_drafts(verbs: Any) -> None:
    command = verbs.add_parser("drafts", help="volunteers' answers waiting for review")
    sub = command.add_subparsers(dest="drafts_command", required=True)
    listing = sub.add_parser("list", help="drafts waiting for review")
    listing.add_argument("--all", action="store_true", help="approved and rejected ones too")
    listing.set_defaults(func=_drafts_list)
    show = sub.add_parser("show", help="one draft")
    show.add_argument("draft_id", type=int)
    show.set_defaults(func=_drafts_show)
    approve = sub.add_parser("approve", help="write the draft into a topic file")
    approve.add_argument("draft_id", type=int)
    approve.add_argument("--topic", required=True, help="topic id (as in `faq/data/*.yaml`)")
    approve.add_argument("--question", help="the question as it should read (default: draft's)")
    approve.add_argument("--answer", help="the answer as it should read (default: draft's)")
    approve.set_defaults(func=_drafts_approve)
    reject = sub.add_parser("reject", help="drop the draft")
    reject.add_argument("draft_id", type=int)
    reject.set_defaults(func=_drafts_reject)


def _line(ticket: Ticket, now: datetime.datetime) -> str:
    where = f"{ticket.channel} {mask_id(ticket.chat_id)}"
    if ticket.status == TicketStatus.WAITING:
        state = f"waiting {describe_duration(now - ticket.waiting_since)}"
    elif ticket.status == TicketStatus.CLAIMED:
        state = (
            f"with {ticket.volunteer_name}, last message "
            f"{describe_duration(now - ticket.last_activity_at)} ago"
        )
    else:
        state = f"closed ({ticket.outcome}), rating {ticket.rating or '-'}"
    return f"#{ticket.id:<5} {format_local(ticket.opened_at)}  {where:<18} {state}"


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    async with database(settings) as db:
        rows = await tickets.recent(db, now - datetime.timedelta(days=7) if args.all else None)
    shown = [t for t in rows if args.all or t.status != TicketStatus.CLOSED]
    if not shown:
        print("no open tickets")
        return 0
    for ticket in shown:
        print(_line(ticket, now))
    return 0


async def _show(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        ticket = await tickets.get(db, args.ticket_id)
        messages = await tickets.messages_of(db, args.ticket_id) if ticket else []
    if ticket is None:
        print(f"no ticket #{args.ticket_id}", file=sys.stderr)
        return 1
    print(_line(ticket, SystemClock().now()))
    for item in ticket.context:
        print(f"  before: {item.get('question')}")
    for message in messages:
        picture = " [picture]" if message.media_id else ""
        text = redact_personal(message.text)
        print(f"  {format_local(message.created_at)}  {message.author}: {text}{picture}")
    return 0


async def _stats(args: argparse.Namespace, settings: Settings) -> int:
    since = SystemClock().now() - datetime.timedelta(days=args.days)
    async with database(settings) as db:
        rows = await tickets.recent(db, since)
    print(f"Tickets opened in the last {args.days} day(s):")
    for line in stats_lines(rows):
        print(line)
    return 0


async def _drafts_list(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        rows = await faq_drafts.listing(db, None if args.all else FaqDraftStatus.PENDING)
    if not rows:
        print("no drafts waiting" if not args.all else "no drafts")
    for draft in rows:
        ticket = f"ticket #{draft.ticket_id}" if draft.ticket_id else "ticket gone"
        question = " ".join(draft.question.split())[:70]
        print(f"#{draft.id:<4} {draft.status:<9} {ticket:<12} {question}")
    return 0


async def _drafts_show(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        draft = await faq_drafts.get(db, args.draft_id)
    if draft is None:
        print(f"no draft #{args.draft_id}", file=sys.stderr)
        return 1
    print(f"Draft #{draft.id} ({draft.status}), from ticket #{draft.ticket_id or '-'}")
    print(f"Question: {draft.question}\nAnswer:\n{draft.answer}")
    if draft.faq_id:
        print(f"Entry: {draft.faq_id} in topic {draft.topic}")
    return 0


async def _drafts_approve(args: argparse.Namespace, settings: Settings) -> int:
    today = datetime.datetime.now(VN_TZ).date()
    return await approve(settings, args.draft_id, args.topic, today, args.question, args.answer)


async def approve(
    settings: Settings,
    draft_id: int,
    topic: str,
    today: datetime.date,
    question: str | None = None,
    answer: str | None = None,
) -> int:
    """Write a pending draft into its topic's file and mark it approved; 1 on a problem."""
    async with database(settings) as db:
        try:
            approval, path = await approve_draft(
                db, settings, draft_id, topic, today, SystemClock().now(), question, answer
            )
        except drafts.ApprovalError as error:
            print(error, file=sys.stderr)
            return 1
        await db.commit()
    print(f"approved: entry {approval.entry_id} added to {path}; restart the bot to use it")
    return 0


async def approve_draft(
    db: AsyncSession,
    settings: Settings,
    draft_id: int,
    topic: str,
    today: datetime.date,
    now: datetime.datetime,
    question: str | None = None,
    answer: str | None = None,
) -> tuple[drafts.Approval, Path]:
    """Write the entry and mark the draft approved (the caller commits); ApprovalError when
    the draft is not pending or the entry cannot be written. The dashboard uses it too."""
    draft = await faq_drafts.get(db, draft_id)
    if draft is None or draft.status != FaqDraftStatus.PENDING:
        raise drafts.ApprovalError(f"no pending draft #{draft_id}")
    approval = drafts.Approval(
        draft, topic, question or draft.question, answer or draft.answer, today
    )
    path = drafts.write_entry(approval, settings.faq_data_dir)
    await faq_drafts.decide(
        db, draft_id, FaqDraftStatus.APPROVED, now, faq_id=approval.entry_id, topic=topic
    )
    return approval, path


async def _drafts_reject(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        done = await faq_drafts.decide(
            db, args.draft_id, FaqDraftStatus.REJECTED, SystemClock().now()
        )
        await db.commit()
    if not done:
        print(f"no pending draft #{args.draft_id}", file=sys.stderr)
        return 1
    print(f"rejected draft #{args.draft_id}")
    return 0
