"""What happens to a ticket, whoever makes it happen (the citizen, a volunteer, a timer):
opening it, relaying either way, closing it. Messages are queued in the same transaction
(the outbox sends them), so a ticket's state and what people are told never disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.messages import Reply
from bot.privacy import mask_id, person_key
from bot.turn import Turn
from handlers.volunteers import desk_texts, texts
from handlers.volunteers.desk import DeskPlace
from storage import outbox, tickets, unanswered
from storage.conversations import leave_flow
from storage.models import (
    FaqDraft,
    InDoubtPolicy,
    Ticket,
    TicketAuthor,
    TicketMessage,
    TicketOutcome,
    TicketStatus,
)

logger = logging.getLogger(__name__)

DESK_JOB = "volunteer-desk"
# The flow of a conversation a ticket holds (everything goes to the volunteer).
HELD_FLOW = "volunteer-held"
# What the citizen asked the bot this long before the ticket is its context on the card
# (and is linked to the ticket for `faq unanswered` once a volunteer answers).
CONTEXT_WINDOW = timedelta(hours=1)
CONTEXT_ITEMS = 3

Notify = Callable[[outbox.Message], Awaitable[bool]]


@dataclass
class Work:
    """One transaction's work on tickets: where, when, how to queue, what to wake after."""

    app: AppContext
    db: AsyncSession
    now: datetime
    notify: Notify
    wake: Callable[[str], None]

    @classmethod
    def of_turn(cls, turn: Turn) -> Work:
        return cls(turn.app, turn.db, turn.now, turn.notify, turn.wake)

    @classmethod
    def of_job(cls, app: AppContext, db: AsyncSession, now: datetime) -> Work:
        """In the desk job, which refreshes the cards itself after its transaction."""

        async def notify(message: outbox.Message) -> bool:
            return await outbox.enqueue(db, message, now)

        return cls(app, db, now, notify, lambda job: None)


def to_citizen(
    ticket: Ticket, reply: Reply, kind: str, dedupe_key: str | None = None
) -> outbox.Message:
    """A message for the citizen on the channel they wrote from; resent when in doubt (a
    duplicate answer is better than a lost one)."""
    return outbox.Message(
        ticket.channel,
        ticket.chat_id,
        reply.to_dict(),
        kind=kind,
        priority=outbox.Priority.REPLY,
        on_doubt=InDoubtPolicy.RESEND,
        source=tickets.source_of(ticket.id),
        dedupe_key=dedupe_key,
    )


def to_desk(
    ticket: Ticket, reply: Reply, kind: str, dedupe_key: str | None = None
) -> outbox.Message:
    """A message for the volunteer group, in the ticket's topic when it has one."""
    return outbox.Message(
        ticket.desk_channel,
        ticket.desk_chat_id,
        reply.to_dict(),
        kind=kind,
        priority=outbox.Priority.REPLY,
        on_doubt=InDoubtPolicy.RESEND,
        source=tickets.source_of(ticket.id),
        thread_id=ticket.thread_id,
        dedupe_key=dedupe_key,
    )


async def open_ticket(
    work: Work, place: DeskPlace, channel: str, chat_id: str, text: str, media_id: str | None
) -> Ticket:
    """A waiting ticket with the citizen's first message; the desk job posts it."""
    key = person_key(work.app.privacy_key, channel, chat_id)
    new = tickets.NewTicket(
        channel, chat_id, key, place.channel, place.chat_id, await _context(work, key)
    )
    ticket = await tickets.open_ticket(work.db, new, work.now)
    await tickets.add_message(work.db, ticket, TicketAuthor.CITIZEN, text, work.now, media_id)
    work.wake(DESK_JOB)
    logger.info("ticket %d opened channel=%s chat=%s", ticket.id, channel, mask_id(chat_id))
    return ticket


async def _context(work: Work, key: str) -> list[dict[str, Any]]:
    """The citizen's recent questions the bot could not answer (stored masked)."""
    rows = await unanswered.recent_for(work.db, key, work.now - CONTEXT_WINDOW, CONTEXT_ITEMS)
    items = []
    for row in rows:
        entry = work.app.knowledge.get(row.best_faq_id or "") if row.action == "suggest" else None
        items.append(
            {"question": row.text[:300], "suggested": entry.questions[0] if entry else None}
        )
    return items


def desk_relay(ticket: Ticket, message: TicketMessage) -> outbox.Message:
    """A citizen's message for the group: the picture too when it is of the group's platform."""
    same_platform = ticket.channel == ticket.desk_channel
    picture = message.media_id if same_platform else None
    text = desk_texts.citizen_says(ticket.id, message.text, picture=picture is not None)
    return to_desk(
        ticket,
        Reply(text, media_id=picture),
        "volunteer.relay",
        dedupe_key=f"volunteer-desk:{message.id}",
    )


def card_reply(ticket: Ticket, messages: Sequence[TicketMessage], draft: FaqDraft | None) -> Reply:
    """The ticket's card, from its state and messages."""
    first = next((m for m in messages if m.author == TicketAuthor.CITIZEN), None)
    answered = any(m.author == TicketAuthor.VOLUNTEER for m in messages)
    return desk_texts.card(
        ticket,
        first.text if first else "",
        picture=bool(first and first.media_id),
        can_save=ticket.status == TicketStatus.CLOSED and answered and draft is None,
        draft_id=draft.id if draft else None,
    )


async def post(work: Work, ticket: Ticket, thread_id: str | None) -> None:
    """Show a ticket in the group: its card, then what the citizen sent besides its text."""
    ticket.thread_id, ticket.posted_at = thread_id, work.now
    messages = await tickets.messages_of(work.db, ticket.id)
    card = card_reply(ticket, messages, None)
    await work.notify(to_desk(ticket, card, "volunteer.card", f"volunteer-card:{ticket.id}"))
    for index, message in enumerate(messages):
        # The card shows the first message's text; a picture with it still goes as a relay.
        if index > 0 or message.media_id:
            await work.notify(desk_relay(ticket, message))


async def relay_from_citizen(work: Work, ticket: Ticket, text: str, media_id: str | None) -> None:
    """Keep the message; send it to the group now if the ticket is there already (else
    the desk job sends it with the card)."""
    message = await tickets.add_message(
        work.db, ticket, TicketAuthor.CITIZEN, text, work.now, media_id
    )
    if ticket.posted_at is not None:
        await work.notify(desk_relay(ticket, message))


async def relay_from_volunteer(
    work: Work, ticket: Ticket, text: str, media_id: str | None, update_key: str | None
) -> None:
    """The claimer's message for the citizen, with their first name only."""
    first_answer = ticket.first_answer_at is None
    await tickets.add_message(work.db, ticket, TicketAuthor.VOLUNTEER, text, work.now, media_id)
    if first_answer:
        await unanswered.link_to_ticket(
            work.db,
            ticket.person_key,
            ticket.opened_at - CONTEXT_WINDOW,
            ticket.opened_at,
            ticket.id,
        )
    # A platform's picture id means nothing elsewhere: a web citizen gets the words only.
    shown = media_id if media_id and ticket.channel == ticket.desk_channel else None
    body = texts.volunteer_says(
        ticket.volunteer_name or "", text, picture_left_out=bool(media_id) and shown is None
    )
    reply = Reply(body, (texts.END_BUTTON,), media_id=shown)
    key = f"volunteer-reply:{ticket.desk_channel}:{update_key}" if update_key else None
    await work.notify(to_citizen(ticket, reply, "volunteer.reply", key))


async def close(work: Work, ticket: Ticket, outcome: TicketOutcome) -> bool:
    """Close an open ticket and tell whoever did not close it; False if it was closed.

    The citizen's own ending (`ENDED`) is answered by their turn; every other outcome is
    queued to them, and their conversation leaves the held flow.
    """
    was_claimed = ticket.status == TicketStatus.CLAIMED
    if not await tickets.close(work.db, ticket.id, outcome, work.now):
        return False
    await work.db.refresh(ticket)
    work.wake(DESK_JOB)
    logger.info("ticket %d closed outcome=%s", ticket.id, outcome)
    if outcome != TicketOutcome.ENDED:
        await work.notify(
            to_citizen(ticket, _closing_reply(work, ticket, outcome), "volunteer.closed")
        )
        await leave_flow(work.db, ticket.channel, ticket.chat_id, HELD_FLOW)
    note = _desk_note(work, ticket, outcome, was_claimed)
    if note is not None and ticket.posted_at is not None:
        await work.notify(to_desk(ticket, Reply(note), "volunteer.notice"))
    return True


def rating_ticket(ticket: Ticket) -> int | None:
    """The ticket to rate: one a volunteer answered."""
    return ticket.id if ticket.first_answer_at is not None else None


def _closing_reply(work: Work, ticket: Ticket, outcome: TicketOutcome) -> Reply:
    settings = work.app.settings
    name = ticket.volunteer_name or ""
    rate = rating_ticket(ticket)
    if outcome == TicketOutcome.RETURNED:
        return texts.returned_to_bot(name, rate)
    if outcome == TicketOutcome.IDLE:
        return texts.closed_when_idle(settings.volunteer_idle_close_hours, rate)
    if outcome == TicketOutcome.UNCLAIMED:
        signup = "signup" in work.app.available_features
        return texts.nobody_free(settings.volunteer_give_up_minutes, signup=signup)
    return texts.closed_by_volunteer(name, rate)


def _desk_note(work: Work, ticket: Ticket, outcome: TicketOutcome, was_claimed: bool) -> str | None:
    """What the claimer must read in the group; the card's new state says the rest."""
    if outcome == TicketOutcome.ENDED and was_claimed:
        return desk_texts.citizen_left(ticket.id)
    if outcome == TicketOutcome.IDLE:
        return desk_texts.closed_when_idle(ticket.id, work.app.settings.volunteer_idle_close_hours)
    return None
