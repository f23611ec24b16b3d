"""The citizen's side: asking for a volunteer, the warning, the first message, the held
conversation (everything goes to the volunteer, the bot stays silent), ending and rating.

Two flows: `volunteer` waits for the first message after the warning (pictures welcome);
`volunteer-held` (lifecycle.HELD_FLOW) keeps every message for the volunteer except the few
exits, and closes the ticket when one of those leaves it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.messages import Reply
from bot.payloads import small_number
from bot.privacy import person_key, redact_personal
from bot.routing import parse_command
from bot.turn import Turn
from faq.normalize import normalize
from handlers.volunteers import desk_texts, texts
from handlers.volunteers.desk import ready_desk
from handlers.volunteers.hours import expectation
from handlers.volunteers.lifecycle import (
    HELD_FLOW,
    Work,
    close,
    open_ticket,
    rating_ticket,
    relay_from_citizen,
    to_desk,
)
from storage import tickets, unanswered
from storage.models import Ticket, TicketOutcome, TicketRating

ASK_FLOW = "volunteer"
# The warning waits this long for the first message; after it, a message is a new question.
ASK_TIMEOUT = timedelta(minutes=30)
# A question the bot could not answer this recently is offered to be sent with one tap.
CANDIDATE_WINDOW = timedelta(minutes=15)
# Free text that asks for a person (matched inside the message, without diacritics).
START_PHRASES = (
    "gặp người thật",
    "nói chuyện với người thật",
    "gặp tình nguyện viên",
    "hỏi tình nguyện viên",
    "cho tôi hỏi tình nguyện viên",
    "nhờ tình nguyện viên",
    "gap tnv",
)
# A request typed with this many more words carries its question ("gặp người thật giúp
# tôi cài VNeID trên máy mới"), offered to be sent with one tap.
QUESTION_WORDS = 4
# Kinds of message a volunteer can receive; others get a polite "not forwarded".
FORWARDED_KINDS = ("text", "photo")
# state.data key of the unanswered-in-a-row count (only outside any flow).
MISSES = "volunteers.misses"
MISSES_BEFORE_OFFER = 2

_END = frozenset(normalize(phrase) for phrase in texts.END_PHRASES)
_CANCEL = frozenset(normalize(phrase) for phrase in texts.CANCEL_PHRASES)
_START = frozenset(normalize(phrase) for phrase in START_PHRASES)


def _signup_on(turn: Turn) -> bool:
    return "signup" in turn.app.available_features


async def _own_open_ticket(turn: Turn, *, lock: bool = False) -> Ticket | None:
    incoming = turn.incoming
    return await tickets.open_for_chat(turn.db, incoming.channel, incoming.chat_id, lock=lock)


async def begin(turn: Turn) -> list[Reply]:
    """The menu button, /tinhnguyenvien, "gặp người thật", the fallback's and offer's button."""
    held = await _own_open_ticket(turn)
    if held is not None:
        turn.state.enter(HELD_FLOW, "open")
        return [texts.already_open(held.id)]
    if ready_desk(turn.app) is None:
        turn.state.reset()
        return [texts.unavailable(signup=_signup_on(turn))]
    candidate = await _candidate(turn)
    turn.state.enter(ASK_FLOW, "question", {"candidate": candidate} if candidate else {})
    return [texts.warning(candidate)]


async def _candidate(turn: Turn) -> str | None:
    """What to offer sending with one tap: the question typed along with the request, or
    the last one the bot could not answer; masked, since it was written before the warning."""
    text = turn.text
    if text and parse_command(text) is None:
        rest = f" {normalize(text)} "
        for phrase in _START:
            rest = rest.replace(f" {phrase} ", " ")
        if len(rest.split()) >= QUESTION_WORDS:
            return redact_personal(text)
    incoming = turn.incoming
    key = person_key(turn.app.privacy_key, incoming.channel, incoming.chat_id)
    rows = await unanswered.recent_for(turn.db, key, turn.now - CANDIDATE_WINDOW, 1)
    return rows[-1].text if rows else None


async def asking(turn: Turn) -> list[Reply]:
    """The first message after the warning, forwarded as is (text or a picture)."""
    if turn.payload is not None:
        return await volunteer_button(turn)
    incoming = turn.incoming
    if incoming.kind == "text" and normalize(turn.text) in _CANCEL | _END:
        turn.state.reset()
        return [texts.cancelled()]
    if incoming.kind not in FORWARDED_KINDS:
        return [texts.not_forwarded(in_ticket=False)]
    return await _open(turn, turn.text, incoming.media_id)


async def _open(turn: Turn, text: str, media_id: str | None) -> list[Reply]:
    place = ready_desk(turn.app)
    if place is None:
        turn.state.reset()
        return [texts.unavailable(signup=_signup_on(turn))]
    incoming = turn.incoming
    ticket = await open_ticket(
        Work.of_turn(turn), place, incoming.channel, incoming.chat_id, text, media_id
    )
    turn.state.enter(HELD_FLOW, "open")
    return [texts.opened(ticket.id, expectation(turn.app.settings, turn.now))]


async def held(turn: Turn) -> list[Reply]:
    """While a volunteer holds the conversation: relay, and say nothing but the exits."""
    ticket = await _own_open_ticket(turn, lock=True)
    if ticket is None:  # closed by the other side meanwhile
        turn.state.reset()
        return [texts.conversation_over()]
    incoming = turn.incoming
    payload = turn.payload
    if payload == texts.PAYLOAD_END or (
        incoming.kind == "text" and payload is None and normalize(turn.text) in _END
    ):
        return await _end(turn, ticket)
    if payload is not None:
        if payload.startswith("volunteer:rate:"):  # an earlier ticket's rating
            return await volunteer_button(turn)
        return [texts.button_while_talking()]
    if incoming.kind not in FORWARDED_KINDS:
        if ticket.posted_at is not None:
            note = Reply(desk_texts.not_forwarded(ticket.id))
            await turn.notify(to_desk(ticket, note, "volunteer.notice"))
        return [texts.not_forwarded(in_ticket=True)]
    await relay_from_citizen(Work.of_turn(turn), ticket, turn.text, incoming.media_id)
    return []


async def _end(turn: Turn, ticket: Ticket) -> list[Reply]:
    await close(Work.of_turn(turn), ticket, TicketOutcome.ENDED)
    turn.state.reset()
    return [texts.ended(rating_ticket(ticket))]


async def left(turn: Turn) -> list[Reply]:
    """/menu or "my data" left the held conversation: the ticket closes with it."""
    ticket = await _own_open_ticket(turn, lock=True)
    if ticket is None:
        return []
    await close(Work.of_turn(turn), ticket, TicketOutcome.ENDED)
    return [texts.left(rating_ticket(ticket))]


async def volunteer_button(turn: Turn) -> list[Reply]:
    """Buttons of the `volunteer:` namespace; a stale or forged one starts over."""
    match (turn.payload or "").split(":")[1:]:
        case ["send"] if turn.state.flow == ASK_FLOW and turn.state.data.get("candidate"):
            return await _open(turn, str(turn.state.data["candidate"]), None)
        case ["cancel"]:
            turn.state.reset()
            return [texts.cancelled()]
        case ["end"]:
            ticket = await _own_open_ticket(turn, lock=True)
            return await _end(turn, ticket) if ticket else [texts.conversation_over()]
        case ["rate", number, answer] if answer in ("yes", "no"):
            ticket_id = small_number(number)
            if ticket_id is not None:
                rating = TicketRating.HELPFUL if answer == "yes" else TicketRating.NOT_HELPFUL
                incoming = turn.incoming
                await tickets.rate(turn.db, ticket_id, incoming.channel, incoming.chat_id, rating)
            return [texts.rated()]
    return await begin(turn)


async def offer_after_misses(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """Router.after_turn: after two questions in a row the bot could not answer, offer a
    volunteer (counted in the state, outside any flow, so any other turn breaks the row)."""
    state = turn.state
    if state.flow is not None:
        return []
    if not turn.unanswered:
        state.data.pop(MISSES, None)
        return []
    misses = min(int(state.data.get(MISSES, 0)) + 1, MISSES_BEFORE_OFFER)
    if misses < MISSES_BEFORE_OFFER or ready_desk(turn.app) is None:
        state.data[MISSES] = misses
        return []
    state.data.pop(MISSES, None)
    return [texts.offer()]
