"""Entry points, "my bookings", cancelling (by button or by typing "hủy <mã>")."""

from __future__ import annotations

import logging

from bot.messages import Reply
from bot.payloads import small_number
from bot.privacy import mask_id
from bot.turn import Turn
from handlers.signup import booking_texts as say
from handlers.signup import texts as form_texts
from handlers.signup.form import form
from handlers.signup.notices import notify_promoted
from handlers.signup.validation import code_in
from storage import help_sessions, signups
from storage.models import HelpSession, Signup, SignupStatus

logger = logging.getLogger(__name__)


async def begin(turn: Turn) -> list[Reply]:
    """Main-menu button, /dangky, the deep link or "đăng ký buổi hỗ trợ"."""
    incoming = turn.incoming
    if not await help_sessions.upcoming_sessions(turn.db, turn.now):
        turn.state.reset()
        return [form_texts.no_sessions()]
    held = await signups.signups_for_chat(turn.db, incoming.channel, incoming.chat_id)
    upcoming_held = [s for s, session in held if session.ends_at > turn.now]
    notes = [form_texts.has_bookings_note(len(upcoming_held))] if upcoming_held else []
    return notes + await form.start(turn)


async def show_mine(turn: Turn) -> list[Reply]:
    """The person's sign-ups of sessions not over yet, each with a cancel button."""
    incoming = turn.incoming
    items = []
    for signup, session in await signups.signups_for_chat(
        turn.db, incoming.channel, incoming.chat_id
    ):
        if session.ends_at <= turn.now:
            continue
        position = (
            await signups.waitlist_position(turn.db, signup)
            if signup.status == SignupStatus.WAITLISTED
            else 0
        )
        items.append((signup, session, position))
    return [say.mine(items)]


async def _own_active(turn: Turn, signup_id: int) -> tuple[Signup, HelpSession] | None:
    signup = await turn.db.get(Signup, signup_id)
    incoming = turn.incoming
    if (
        signup is None
        or signup.status not in signups.ACTIVE
        or (signup.channel, signup.chat_id) != (incoming.channel, incoming.chat_id)
    ):
        return None
    session = await turn.db.get(HelpSession, signup.session_id)
    return None if session is None else (signup, session)


async def _cancel(turn: Turn, signup_id: int) -> Reply | None:
    owned = await _own_active(turn, signup_id)
    if owned is None:
        return None
    cancellation = await signups.cancel(turn.db, signup_id, turn.now)
    if cancellation is None:
        return None
    await notify_promoted(turn, cancellation)
    logger.info(
        "signup cancelled session=%s chat=%s promoted=%d",
        cancellation.session.slug,
        mask_id(turn.incoming.chat_id),
        len(cancellation.promoted),
    )
    return say.dropped(cancellation.signup, cancellation.session)


async def cancel_by_code(turn: Turn) -> list[Reply]:
    """'hủy ABC234': cancel the booking with that code, if it is the person's own."""
    code = code_in(turn.text)
    assert code is not None  # the router's text rule checked it
    signup = await signups.find_by_code(turn.db, code)
    done = await _cancel(turn, signup.id) if signup is not None else None
    return [done or say.not_found(code)]


async def signup_button(turn: Turn) -> list[Reply]:
    """`signup:*` buttons outside the form (start, mine, drop, dropok, stale form buttons)."""
    match (turn.payload or "").split(":")[1:]:
        case ["start" | "ask"]:
            return await begin(turn)
        case ["mine"]:
            return await show_mine(turn)
        case ["drop", sid] if (signup_id := small_number(sid)) is not None:
            owned = await _own_active(turn, signup_id)
            return [say.confirm_drop(*owned)] if owned else await show_mine(turn)
        case ["dropok", sid] if (signup_id := small_number(sid)) is not None:
            return [await _cancel(turn, signup_id) or say.already_done_cancel()]
        case ["confirm"]:
            # A second tap on "Xác nhận" after the booking went through.
            incoming = turn.incoming
            if await signups.signups_for_chat(turn.db, incoming.channel, incoming.chat_id):
                return [say.already_done()]
    return [say.stale_button()]


async def flow(turn: Turn) -> list[Reply]:
    """Inside the form: restart, leave for "my bookings", cancel by code, or answer the step."""
    action = (turn.payload or "").partition(":")[2].partition(":")[0]
    if action == "start":
        return await begin(turn)
    if action in ("mine", "drop", "dropok"):
        turn.state.reset()
        return await signup_button(turn)
    if turn.payload is None and code_in(turn.text) is not None:
        turn.state.reset()
        return await cancel_by_code(turn)
    return await form.handle(turn)
