"""The desk job: posts new tickets in the group (a topic each when it has topics), runs the
timers (one reminder, giving up, closing idle tickets) and keeps the cards up to date.

It runs every DESK_EVERY_SECONDS and as soon as a turn wakes it (a new ticket, a claim).
Requests to the group that are not plain sends (a topic, editing a card) happen here, out
of any transaction; plain sends go through the outbox like every other message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.channels.base import DeliveryError, GroupCheck, RetryAfter, TemporaryFailure
from bot.clock import DailyWindow
from bot.config import Settings
from bot.context import AppContext
from handlers.volunteers import desk_texts
from handlers.volunteers.desk import DeskPlace, desk_of, refresh_check
from handlers.volunteers.hours import time_on_duty, volunteer_hours
from handlers.volunteers.lifecycle import Work, card_reply, close, post, to_desk
from storage import faq_drafts, outbox, tickets
from storage.models import FaqDraft, Ticket, TicketOutcome, TicketStatus

logger = logging.getLogger(__name__)

DESK_EVERY_SECONDS = 30.0


async def run_desk(app: AppContext) -> None:
    """One pass: check the group, post what is new, run the timers, refresh the cards."""
    place = desk_of(app)
    check = await refresh_check(app) if place is not None else None
    if place is not None and check is not None and check.ready:
        await _post_new(app, place, check)
    await _run_timers(app)
    if place is not None and check is not None and check.ready:
        await _refresh_cards(app, place)


async def _post_new(app: AppContext, place: DeskPlace, check: GroupCheck) -> None:
    async with app.open_db() as db:
        waiting = await tickets.unposted(db)
    for ticket in waiting:
        if (ticket.desk_channel, ticket.desk_chat_id) != (place.channel, place.chat_id):
            continue  # a group configured before; it waits there until it gives up
        thread_id = None
        if check.topics:
            try:
                thread_id = await place.desk.open_topic(
                    place.chat_id, desk_texts.topic_title(ticket)
                )
            except (RetryAfter, TemporaryFailure) as error:
                logger.warning("ticket %d: no topic yet (%s); next pass", ticket.id, error)
                continue
            except DeliveryError as error:
                logger.error("ticket %d: topic refused (%s); posted without", ticket.id, error)
        async with app.transaction() as db:
            fresh = await tickets.get(db, ticket.id, lock=True)
            if fresh is None or fresh.posted_at is not None or fresh.status == TicketStatus.CLOSED:
                continue
            await post(Work.of_job(app, db, app.clock.now()), fresh, thread_id)
        app.outbox_wakeup.set()
        logger.info("ticket %d posted (topic: %s)", ticket.id, "yes" if thread_id else "no")


@dataclass(frozen=True)
class Timers:
    """The settings' times, and the hours within which waiting counts."""

    window: DailyWindow
    reping: timedelta
    give_up: timedelta
    idle: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Timers:
        return cls(
            volunteer_hours(settings),
            timedelta(minutes=settings.volunteer_reping_minutes),
            timedelta(minutes=settings.volunteer_give_up_minutes),
            timedelta(hours=settings.volunteer_idle_close_hours),
        )

    def due(self, ticket: Ticket, now: datetime) -> str | None:
        """ "give-up", "reping", "idle" or None: what a ticket's timers say now."""
        if ticket.status == TicketStatus.CLAIMED:
            return "idle" if ticket.last_activity_at <= now - self.idle else None
        if ticket.status != TicketStatus.WAITING:
            return None
        waited = time_on_duty(self.window, ticket.waiting_since, now)
        if waited >= self.give_up:
            return "give-up"
        due = waited >= self.reping and ticket.repinged_at is None
        return "reping" if due and ticket.posted_at is not None else None


async def _run_timers(app: AppContext) -> None:
    """Decided on a read, done in one transaction on the rows as they are then."""
    timers = Timers.of(app.settings)
    now = app.clock.now()
    async with app.open_db() as db:
        candidates = [
            ticket.id
            for status in (TicketStatus.WAITING, TicketStatus.CLAIMED)
            for ticket in await tickets.with_status(db, status)
            if timers.due(ticket, now)
        ]
    if not candidates:
        return
    async with app.transaction() as db:
        work = Work.of_job(app, db, now)
        for ticket_id in candidates:
            ticket = await tickets.get(db, ticket_id, lock=True)
            if ticket is None:
                continue
            match timers.due(ticket, now):
                case "give-up":
                    await close(work, ticket, TicketOutcome.UNCLAIMED)
                case "idle":
                    await close(work, ticket, TicketOutcome.IDLE)
                case "reping" if await tickets.mark_repinged(db, ticket.id, now):
                    minutes = int(
                        time_on_duty(timers.window, ticket.waiting_since, now).total_seconds() // 60
                    )
                    reminder = desk_texts.reminder(ticket.id, minutes, waiting=True)
                    await work.notify(to_desk(ticket, reminder, "volunteer.ping"))
    app.outbox_wakeup.set()


def _shown(ticket: Ticket, draft: FaqDraft | None) -> tuple[object, ...]:
    """What a card shows: when this changed during an edit, the card is stale again."""
    return (
        ticket.status,
        ticket.volunteer_id,
        ticket.outcome,
        ticket.first_answer_at is not None,
        draft.id if draft else None,
    )


async def _refresh_cards(app: AppContext, place: DeskPlace) -> None:
    """Edit the cards (and reminders) whose ticket changed since they were sent."""
    async with app.open_db() as db:
        stale = await tickets.stale_cards(db)
    for ticket in stale:
        source = tickets.source_of(ticket.id)
        async with app.open_db() as db:
            cards = await outbox.sent_platform_ids(db, source, ["volunteer.card"])
            reminders = await outbox.sent_platform_ids(db, source, ["volunteer.ping"])
            messages = await tickets.messages_of(db, ticket.id)
            draft = await faq_drafts.for_ticket(db, ticket.id)
        if not cards:
            continue  # not sent yet: it will be sent as it is now
        shown = _shown(ticket, draft)
        try:
            await place.desk.edit_message(
                place.chat_id, cards[0], card_reply(ticket, messages, draft)
            )
            if ticket.status != TicketStatus.WAITING:
                for message_id in reminders:
                    done = desk_texts.reminder(ticket.id, 0, waiting=False)
                    await place.desk.edit_message(place.chat_id, message_id, done)
        except DeliveryError as error:
            logger.warning("ticket %d: card not updated (%s); trying again", ticket.id, error)
            continue
        async with app.transaction() as db:
            fresh = await tickets.get(db, ticket.id, lock=True)
            if (
                fresh is not None
                and _shown(fresh, await faq_drafts.for_ticket(db, ticket.id)) == shown
            ):
                fresh.card_stale = False
