"""/thongbao: organizers (admin ids of the settings, per channel) announce from their chat.

Text, audience, a preview with the audience size, an explicit confirm; nobody else can, and
a refused attempt is logged (with a masked id).
"""

from __future__ import annotations

import logging

from bot.messages import Reply
from bot.privacy import mask_id
from bot.turn import Turn
from handlers.reminders import texts as say
from handlers.reminders.announcements import MAX_TEXT_CHARS, Audience, count_audience
from storage import broadcasts

logger = logging.getLogger(__name__)

FLOW = "announce"


async def start(turn: Turn) -> list[Reply]:
    """/thongbao: only for organizers."""
    if not turn.is_admin:
        logger.warning(
            "announce refused: not an organizer channel=%s user=%s",
            turn.incoming.channel,
            mask_id(turn.incoming.user_id),
        )
        return [say.admin_only()]
    turn.state.enter(FLOW, "text")
    return [say.admin_ask_text()]


async def flow(turn: Turn) -> list[Reply]:
    """The steps: text, audience, confirm (buttons `announce:*`)."""
    if not turn.is_admin:  # the ids changed meanwhile: leave
        turn.state.reset()
        return [say.admin_only()]
    match (turn.payload or "").split(":")[1:] if turn.payload else None:
        case ["cancel"]:
            turn.state.reset()
            return [say.admin_cancelled()]
        case ["to", audience] if turn.state.step == "audience" and audience in say.AUDIENCE_LABELS:
            return await _preview(turn, audience)
        case ["confirm"] if turn.state.step == "confirm":
            return await _queue(turn)
        case None if turn.state.step == "text" and turn.text:
            if turn.text.lower() in ("hủy", "huỷ", "huy"):
                turn.state.reset()
                return [say.admin_cancelled()]
            if len(turn.text) > MAX_TEXT_CHARS:
                return [say.admin_too_long(MAX_TEXT_CHARS)]
            turn.state.enter(FLOW, "audience", {"text": turn.text})
            return [say.admin_ask_audience()]
    return [say.admin_ask_audience() if turn.state.step == "audience" else say.admin_ask_text()]


async def _preview(turn: Turn, audience: str) -> list[Reply]:
    text = str(turn.state.data["text"])
    counts = await count_audience(turn.db, Audience.parse(audience), None, turn.now)
    turn.state.enter(FLOW, "confirm", {"text": text, "audience": audience})
    preview = say.announcement(text, to_subscribers=audience != "signups").text
    return [say.admin_preview(preview, counts)]


async def _queue(turn: Turn) -> list[Reply]:
    data = turn.state.data
    incoming = turn.incoming
    created = await broadcasts.create(
        turn.db,
        text=str(data["text"]),
        audience=str(data["audience"]),
        commune=None,
        send_at=turn.now,
        created_by=f"{incoming.channel}:{mask_id(incoming.user_id)}",
        now=turn.now,
    )
    total = sum(
        (await count_audience(turn.db, Audience.parse(created.audience), None, turn.now)).values()
    )
    turn.state.reset()
    logger.info("announce queued id=%d by=%s", created.id, mask_id(incoming.user_id))
    return [say.admin_queued(created.id, total)]
