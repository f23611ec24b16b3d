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
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import VN_TZ, DailyWindow, parse_hhmm, to_local
from bot.config import Settings
from bot.context import AppContext
from bot.messages import Reply
from faq.answers import campaign_year
from faq.kb_model import KnowledgeBase
from handlers.reminders import texts as say
from handlers.reminders.calendar import (
    DEFAULT_CALENDAR,
    FIRST_DAY,
    LAST_DAY,
    CampaignDay,
    load_calendar,
)
from storage import campaign_queue, campaign_runs, help_sessions, outbox, signups, subscriptions
from storage.help_sessions import SessionSeats
from storage.models import HelpSession, InDoubtPolicy, ReminderSlot, Signup, Subscription

logger = logging.getLogger(__name__)

KIND = "campaign.reminder"
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
    """What every reminder of one day is built from, loaded once per run."""

    about: date
    day: CampaignDay
    tip_question: str
    sessions: list[SessionSeats]
    bookings: dict[tuple[str, str], list[tuple[Signup, HelpSession]]]

    def reply(self, commune: str | None, person: tuple[str, str] | None = None) -> dict[str, Any]:
        """The reminder for a subscriber of `commune` (their booking too, given `person`)."""
        near = [
            s
            for s in self.sessions
            if s.free > 0 and (commune is None or s.session.commune == commune)
        ]
        shown = near[:MAX_SESSIONS_LISTED]
        mine = self.bookings.get(person, []) if person is not None else []
        text = say.reminder_text(
            self.about,
            self.day.title,
            self.day.text,
            self.tip_question,
            shown,
            len(near) - len(shown),
            commune,
            mine,
        )
        return Reply(text, say.reminder_buttons(self.day.tip, bool(shown))).to_dict()


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
    content: DayContent, subscription: Subscription, send_before: datetime
) -> outbox.Message:
    """One subscriber's reminder, built for them (their commune, their booking)."""
    person = (subscription.channel, subscription.chat_id)
    day = content.about.isoformat()
    return outbox.Message(
        channel=subscription.channel,
        chat_id=subscription.chat_id,
        reply=content.reply(subscription.commune, person),
        kind=KIND,
        priority=outbox.Priority.BULK,
        on_doubt=InDoubtPolicy.REPORT,
        source=f"campaign:{day}",
        dedupe_key=f"{key_prefix(content.about)}{subscription.channel}:{subscription.chat_id}",
        send_before=send_before,
    )


def key_prefix(about: date) -> str:
    """The ledger: one outbox row per subscriber per campaign day, by its dedupe key."""
    return f"campaign:{about.isoformat()}:"


def send_before(settings: Settings, now: datetime) -> datetime:
    """A reminder not sent when the quiet hours start is not sent at all."""
    return DailyWindow.parse(settings.quiet_hours).next_start_after(now)


async def queue_run(app: AppContext, about: date, slot: ReminderSlot) -> int:
    """Queue the reminders of one (day, slot); returns how many were new.

    People with a booking that day get a reminder built for them; everyone else gets their
    commune's, written by one INSERT ... SELECT per commune (storage/campaign_queue.py).
    Each statement is idempotent (the dedupe key), so a crash or a second process is safe.
    """
    run_key = f"{about.isoformat()}:{slot}"
    now = app.clock.now()
    until = send_before(app.settings, now)
    async with app.transaction() as db:
        run = await campaign_runs.start(db, run_key, now)
        if run.finished_at is not None:
            return 0
        content = await load_day(app.settings, app.knowledge, db, about, now)
        queued = 0
        if content is not None:
            booked = list(content.bookings)
            for person in await subscriptions.among(db, booked, slot):
                queued += await outbox.enqueue(db, reminder_message(content, person, until), now)
            for commune in await campaign_queue.communes_of(db, slot):
                queued += await campaign_queue.queue_commune(
                    db,
                    slot=slot,
                    commune=commune,
                    reply=content.reply(commune),
                    kind=KIND,
                    priority=outbox.Priority.BULK,
                    source=f"campaign:{about.isoformat()}",
                    key_prefix=key_prefix(about),
                    send_before=until,
                    now=now,
                    skip=booked,
                )
        run.queued, run.finished_at = queued, now
    if queued:
        app.outbox_wakeup.set()
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
            message = reminder_message(content, subscription, send_before(app.settings, now))
            return await outbox.enqueue(db, message, now)
    return False
