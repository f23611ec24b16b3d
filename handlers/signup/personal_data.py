"""Sign-ups in "my data": shown with the phone masked, deleted on request."""

from __future__ import annotations

import logging

from bot.features import PersonalData
from bot.privacy import mask_id, mask_phone
from bot.turn import Turn
from handlers.signup import booking_texts as say
from handlers.signup.notices import notify_promoted
from storage import signups
from storage.models import SignupStatus

logger = logging.getLogger(__name__)


async def describe_personal_data(turn: Turn) -> list[str]:
    """For "Dữ liệu của tôi": every sign-up, phone masked."""
    incoming = turn.incoming
    rows = await signups.signups_for_chat(
        turn.db, incoming.channel, incoming.chat_id, active_only=False
    )
    lines = [
        say.mydata_line(signup, session, mask_phone(signup.phone))
        for signup, session in rows
        if signup.status in signups.ACTIVE
    ]
    cancelled = sum(signup.status == SignupStatus.CANCELLED for signup, _ in rows)
    if cancelled:
        lines.append(say.mydata_cancelled(cancelled))
    return lines


async def delete_personal_data(turn: Turn) -> int:
    """Cancel active sign-ups (the waitlist moves up and is told), then erase every row."""
    incoming = turn.incoming
    count, cancellations = await signups.delete_for_chat(
        turn.db, incoming.channel, incoming.chat_id, turn.now
    )
    for cancellation in cancellations:
        await notify_promoted(turn, cancellation)
    logger.info("signup data deleted chat=%s rows=%d", mask_id(incoming.chat_id), count)
    return count


PERSONAL_DATA = PersonalData(describe_personal_data, delete_personal_data)
