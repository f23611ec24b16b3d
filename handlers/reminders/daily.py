"""The daily campaign reminder: built per subscriber, queued exactly once per day.

A subscriber gets one reminder per campaign day (1-10 October): in the morning slot on the
day itself, or in the evening slot the evening before. The outbox dedupe key
`campaign:<date>:<channel>:<chat>` is the ledger: written before anything is sent, unique,
so a restart, a redeploy, a clock change or a second process never sends a day twice. The
queuing of a (day, slot) goes in batches of subscribers (keyset paging) and remembers how far
it got (storage/campaign_runs.py), so 100,000 subscribers need no memory and a crash
resumes. A day that has passed is never sent late: each row must go before the quiet hours
start on its sending day, or it is skipped.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import VN_TZ, DailyWindow, parse_hhmm, to_local
from bot.config import Settings
from bot.context import AppContext
from bot.messages import Reply
from faq.answers import campaign_year
from faq.kb import KnowledgeBase
from handlers.reminders import texts as say
from handlers.reminders.calendar import (
    DEFAULT_CALENDAR,
    FIRST_DAY,
    LAST_DAY,
    CampaignDay,
    load_calendar,
)
from storage import campaign_runs, help_sessions, outbox, signups, subscriptions
from storage.help_sessions import SessionSeats
from storage.models import HelpSession, InDoubtPolicy, ReminderSlot, Signup, Subscription

logger = logging.getLogger(__name__)

KIND = "campaign.reminder"
BATCH = 1000
MAX_SESSIONS_LISTED = 4


def slot_time(settings: Settings, slot: ReminderSlot) -> time:
    return parse_hhmm(
        settings.reminder_morning_time
        if slot == ReminderSlot.MORNING
        else settings.reminder_evening_time
    )


def slot_text(settings: Settings, slot: ReminderSlot) -> str:
    """'buổi sáng (07:30)' for the confirmation and "my data"."""
    at = slot_time(settings, slot)
    name = "buổi sáng" if slot == ReminderSlot.MORNING else "buổi tối hôm trước"
    return f"{name} ({at:%H:%M})"


def campaign_dates(settings: Settings, now: datetime) -> tuple[date, date]:
    year = campaign_year(settings.campaign_year, now)
    return date(year, 10, FIRST_DAY), date(year, 10, LAST_DAY)


def due_runs(settings: Settings, now: datetime) -> list[tuple[date, ReminderSlot]]:
    """The (campaign day, slot) pairs whose sending time has come today and is not over."""
    quiet = DailyWindow.parse(settings.quiet_hours)
    if quiet.contains(now):
        return []
    first, last = campaign_dates(settings, now)
    today = to_local(now).date()
    runs = []
    for slot, about in (
        (ReminderSlot.MORNING, today),
        (ReminderSlot.EVENING, today + timedelta(days=1)),
    ):
        if first <= about <= last and to_local(now).time() >= slot_time(settings, slot):
            runs.append((about, slot))
    return runs


def calendar_path(settings: Settings) -> Path:
    return settings.campaign_calendar_file or DEFAULT_CALENDAR


@dataclass
class DayContent:
    """What every reminder of one day is built from, loaded once per batch run."""

    about: date
    day: CampaignDay
    tip_question: str
    sessions: list[SessionSeats]
    bookings: dict[tuple[str, str], list[tuple[Signup, HelpSession]]]

    def reminder(self, subscription: Subscription) -> tuple[str, bool]:
        """The text for one subscriber, and whether sessions with free seats are listed."""
        near = [
            s
            for s in self.sessions
            if s.free > 0
            and (subscription.commune is None or s.session.commune == subscription.commune)
        ]
        shown = near[:MAX_SESSIONS_LISTED]
        mine = self.bookings.get((subscription.channel, subscription.chat_id), [])
        text = say.reminder_text(
            self.about,
            self.day.title,
            self.day.text,
            self.tip_question,
            shown,
            len(near) - len(shown),
            subscription.commune,
            mine,
        )
        return text, bool(shown)


async def load_day(
    settings: Settings, knowledge: KnowledgeBase, db: AsyncSession, about: date, now: datetime
) -> DayContent | None:
    """The day's calendar entry, its sessions with seats, and who has a booking that day."""
    calendar = load_calendar(calendar_path(settings))
    day = calendar.on(about.day)
    if day is None:
        return None
    entry = knowledge.get(day.tip)
    start = datetime.combine(about, time(0), VN_TZ).astimezone(UTC)
    end = start + timedelta(days=1)
    sessions = [
        s
        for s in await help_sessions.upcoming_sessions(db, now)
        if start <= s.session.starts_at < end
        and (
            day.sessions is None or any(day.sessions.lower() in t.lower() for t in s.session.topics)
        )
    ]
    bookings: dict[tuple[str, str], list[tuple[Signup, HelpSession]]] = defaultdict(list)
    for signup, session in await signups.confirmed_starting_between(db, start, end):
        bookings[(signup.channel, signup.chat_id)].append((signup, session))
    question = entry.questions[0] if entry is not None else day.title
    return DayContent(about, day, question, sessions, dict(bookings))


def reminder_message(
    settings: Settings, content: DayContent, subscription: Subscription, now: datetime
) -> outbox.Message:
    text, has_sessions = content.reminder(subscription)
    quiet = DailyWindow.parse(settings.quiet_hours)
    return outbox.Message(
        channel=subscription.channel,
        chat_id=subscription.chat_id,
        reply=Reply(text, say.reminder_buttons(content.day.tip, has_sessions)).to_dict(),
        kind=KIND,
        priority=outbox.Priority.BULK,
        on_doubt=InDoubtPolicy.REPORT,
        source=f"campaign:{content.about.isoformat()}",
        dedupe_key=f"campaign:{content.about.isoformat()}:{subscription.channel}:{subscription.chat_id}",
        send_before=quiet.next_start_after(now),
    )


async def queue_run(app: AppContext, about: date, slot: ReminderSlot) -> int:
    """Queue the reminders of one (day, slot), batch after batch; returns how many."""
    run_key = f"{about.isoformat()}:{slot}"
    queued = 0
    while True:
        now = app.clock.now()
        async with app.transaction() as db:
            run = await campaign_runs.start(db, run_key, now)
            if run.finished_at is not None:
                return queued
            content = await load_day(app.settings, app.knowledge, db, about, now)
            batch = (
                await subscriptions.batch(db, after_id=run.position, limit=BATCH, slot=slot)
                if content is not None
                else []
            )
            if content is not None and batch:
                messages = [reminder_message(app.settings, content, sub, now) for sub in batch]
                added = await outbox.enqueue_many(db, messages, now)
                run.position, run.queued = batch[-1].id, run.queued + added
                queued += added
            if len(batch) < BATCH:
                run.finished_at = now
        if queued:
            app.outbox_wakeup.set()
        if run.finished_at is not None:
            if queued:
                logger.info("campaign reminders %s queued=%d", run_key, queued)
            return queued


async def queue_due_reminders(app: AppContext) -> None:
    """The job: queue whatever (day, slot) is due now (catching up after a late start)."""
    for about, slot in due_runs(app.settings, app.clock.now()):
        await queue_run(app, about, slot)


async def queue_for_latecomer(
    app: AppContext, db: AsyncSession, subscription: Subscription
) -> bool:
    """Someone subscribes (or changes slot) after today's run: their reminder for today, if
    its time has come and the day is not over, is queued at once (once, by the ledger)."""
    now = app.clock.now()
    for about, slot in due_runs(app.settings, now):
        if slot != subscription.slot:
            continue
        content = await load_day(app.settings, app.knowledge, db, about, now)
        if content is not None:
            return await outbox.enqueue(
                db, reminder_message(app.settings, content, subscription, now), now
            )
    return False
