"""The subscription in "my data": shown, and removed (with what is queued) on request."""

from __future__ import annotations

from bot.features import PersonalData
from bot.turn import Turn
from handlers.reminders import texts as say
from handlers.reminders.daily import slot_text
from handlers.reminders.subscribe import withdraw_queued
from storage import subscriptions


async def describe(turn: Turn) -> list[str]:
    incoming = turn.incoming
    found = await subscriptions.find(turn.db, incoming.channel, incoming.chat_id)
    if found is None:
        return []
    return [say.mydata_line(slot_text(turn.app.settings, found.slot), found.commune)]


async def delete(turn: Turn) -> int:
    incoming = turn.incoming
    removed = await subscriptions.stop(turn.db, incoming.channel, incoming.chat_id)
    return int(removed) + await withdraw_queued(turn)


PERSONAL_DATA = PersonalData(describe, delete)
