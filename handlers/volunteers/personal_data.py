"""Tickets in "my data": counted, and deleted on request (the group is told)."""

from __future__ import annotations

import logging

from bot.features import PersonalData
from bot.messages import Reply
from bot.privacy import mask_id
from bot.turn import Turn
from handlers.volunteers import desk_texts, texts
from handlers.volunteers.lifecycle import to_desk
from storage import tickets

logger = logging.getLogger(__name__)


async def describe(turn: Turn) -> list[str]:
    incoming = turn.incoming
    mine = await tickets.for_chat(turn.db, incoming.channel, incoming.chat_id)
    return [texts.mydata_line(len(mine), turn.app.settings.retain_tickets_days)] if mine else []


async def delete(turn: Turn) -> int:
    """Every ticket of the person with its messages and what was queued about it; the
    volunteers are asked to delete what their group still shows of an open one."""
    incoming = turn.incoming
    mine = await tickets.for_chat(turn.db, incoming.channel, incoming.chat_id)
    count = await tickets.delete_tickets(turn.db, [t.id for t in mine], with_drafts=True)
    for ticket in mine:
        if ticket.posted_at is not None:
            notice = Reply(desk_texts.citizen_erased(ticket.id))
            await turn.notify(to_desk(ticket, notice, "volunteer.notice"))
    if count:
        logger.info("tickets deleted chat=%s count=%d", mask_id(incoming.chat_id), count)
    return count


PERSONAL_DATA = PersonalData(describe, delete)
