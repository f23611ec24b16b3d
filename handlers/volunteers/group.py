"""The volunteers' side, in their group: claiming, answering, handing on, closing, saving.

Only the configured group counts; in it, a button works for members only (a public group's
visitors can press buttons too), and only the claimer's messages in the ticket's topic, or
in reply to one of its messages, reach the citizen. Everything else is chatter: not relayed.
"""

from __future__ import annotations

import logging

from bot.messages import Reply
from bot.payloads import small_number
from bot.privacy import mask_id, redact_personal
from bot.routing import parse_command
from bot.turn import Turn
from handlers.volunteers import desk_texts
from handlers.volunteers import texts as citizen_texts
from handlers.volunteers.desk import DeskPlace, desk_of
from handlers.volunteers.lifecycle import (
    DESK_JOB,
    Work,
    close,
    relay_from_volunteer,
    to_citizen,
)
from storage import faq_drafts, tickets
from storage.models import Ticket, TicketAuthor, TicketOutcome, TicketStatus

logger = logging.getLogger(__name__)

ACTIONS = ("claim", "return", "release", "close", "save")
# What a volunteer may send the citizen: words, and pictures.
RELAYED_KINDS = ("text", "photo")


async def group_message(turn: Turn) -> list[Reply]:
    """Router.group: every message and button tap from a group chat."""
    incoming = turn.incoming
    place = desk_of(turn.app)
    if place is None or (incoming.channel, incoming.chat_id) != (place.channel, place.chat_id):
        logger.info(
            "group message ignored: not the volunteer group channel=%s chat=%s",
            incoming.channel,
            mask_id(incoming.chat_id),
        )
        return []
    if incoming.payload is not None:
        return await _button(turn, place)
    ticket = await _ticket_of(turn, place)
    if ticket is None:
        return []  # the volunteers talking among themselves
    command = parse_command(turn.text) if incoming.kind == "text" else None
    if command is not None:
        action = desk_texts.COMMANDS.get(command[0])
        return await _act(turn, ticket, action) if action else []
    return await _relay(turn, ticket)


async def _ticket_of(turn: Turn, place: DeskPlace) -> Ticket | None:
    """The ticket a message belongs to: by its topic, else by the message it replies to."""
    incoming = turn.incoming
    found = None
    if incoming.thread_id is not None:
        found = await tickets.by_thread(turn.db, place.chat_id, incoming.thread_id)
    elif incoming.reply_to_message_id is not None:
        found = await tickets.by_desk_message(
            turn.db, place.channel, place.chat_id, incoming.reply_to_message_id
        )
    return None if found is None else await tickets.get(turn.db, found.id, lock=True)


async def _button(turn: Turn, place: DeskPlace) -> list[Reply]:
    incoming = turn.incoming
    match (incoming.payload or "").split(":"):
        case ["desk", action, number] if action in ACTIONS and small_number(number) is not None:
            ticket_id = int(number)
        case _:
            logger.info("desk: stale button ignored chat=%s", mask_id(incoming.chat_id))
            return []
    if not await place.desk.is_member(place.chat_id, incoming.user_id):
        logger.warning(
            "desk: %s on ticket %d by a non-member ignored user=%s",
            action,
            ticket_id,
            mask_id(incoming.user_id),
        )
        return []
    ticket = await tickets.get(turn.db, ticket_id, lock=True)
    if ticket is None or ticket.desk_chat_id != place.chat_id:
        return []
    return await _act(turn, ticket, action)


async def _act(turn: Turn, ticket: Ticket, action: str) -> list[Reply]:
    """A volunteer's button or command on a ticket; the card shows the outcome."""
    incoming = turn.incoming
    volunteer = incoming.user_id
    if action == "save":
        return await _save(turn, ticket)
    if action == "claim":
        name = (incoming.display_name or "").split(" ")[0] or "Tình nguyện viên"
        if await tickets.claim(turn.db, ticket.id, volunteer, name, turn.now):
            await turn.notify(to_citizen(ticket, citizen_texts.claimed(name), "volunteer.claimed"))
            turn.wake(DESK_JOB)
            logger.info("ticket %d claimed by %s", ticket.id, mask_id(volunteer))
        else:
            logger.info("ticket %d: claim by %s came too late", ticket.id, mask_id(volunteer))
        return []
    if ticket.status != TicketStatus.CLAIMED or ticket.volunteer_id != volunteer:
        logger.info("ticket %d: %s by %s, not its claimer", ticket.id, action, mask_id(volunteer))
        return []
    if action == "release":
        if await tickets.release(turn.db, ticket.id, volunteer, turn.now):
            await turn.notify(to_citizen(ticket, citizen_texts.handed_on(), "volunteer.released"))
            turn.wake(DESK_JOB)
        return []
    outcome = TicketOutcome.RETURNED if action == "return" else TicketOutcome.CLOSED
    await close(Work.of_turn(turn), ticket, outcome)
    return []


async def _relay(turn: Turn, ticket: Ticket) -> list[Reply]:
    incoming = turn.incoming
    is_claimer = incoming.user_id == ticket.volunteer_id
    if ticket.status == TicketStatus.WAITING:
        return [desk_texts.not_claimed_yet(ticket.id)]
    if not is_claimer:
        return []  # another volunteer's word in the topic stays in the group
    if ticket.status == TicketStatus.CLOSED:
        return [desk_texts.already_closed(ticket.id)]
    if incoming.kind not in RELAYED_KINDS:
        return [desk_texts.not_relayed(ticket.id)]
    await relay_from_volunteer(
        Work.of_turn(turn), ticket, turn.text, incoming.media_id, incoming.message_id
    )
    logger.info("ticket %d: answer relayed", ticket.id)
    return []


async def _save(turn: Turn, ticket: Ticket) -> list[Reply]:
    """ "Lưu thành câu hỏi thường gặp": a draft for organizers, from a closed ticket."""
    if ticket.status != TicketStatus.CLOSED:
        return []
    messages = await tickets.messages_of(turn.db, ticket.id)
    question = next((m.text for m in messages if m.author == TicketAuthor.CITIZEN), "")
    answers = [m.text for m in messages if m.author == TicketAuthor.VOLUNTEER and m.text]
    if not answers or not question.strip():
        return [desk_texts.nothing_to_save(ticket.id)]
    draft = await faq_drafts.save(
        turn.db, ticket.id, redact_personal(question.strip()), "\n".join(answers), turn.now
    )
    if draft is None:
        return []  # saved already: the card says so
    ticket.card_stale = True
    turn.wake(DESK_JOB)
    logger.info("ticket %d saved as FAQ draft %d", ticket.id, draft.id)
    return [desk_texts.draft_saved(ticket.id, draft.id)]
