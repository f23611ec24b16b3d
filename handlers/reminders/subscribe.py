"""Subscribe, choose a slot and a commune, stop: the citizen's side of the reminders.

The subscription is the consent: the offer says what will be sent, how often, when, and how
to stop. Stopping removes the row and withdraws every reminder or announcement to
subscribers already queued and not yet sent.
"""

from __future__ import annotations

import logging

from bot.clock import to_local
from bot.messages import Button, Reply
from bot.payloads import small_number
from bot.privacy import mask_id
from bot.turn import Turn
from faq.normalize import normalize
from handlers.reminders import texts as say
from handlers.reminders.daily import campaign_dates, queue_for_latecomer, slot_text, slot_time
from storage import help_sessions, outbox, subscriptions
from storage.models import OutboxMessage, ReminderSlot

logger = logging.getLogger(__name__)

FLOW = "reminders"
# Kinds of message a stop withdraws: the daily reminder and announcements to subscribers.
STOPPED_KINDS = ("campaign.reminder", "broadcast.subscribers")


def _upcoming(turn: Turn) -> bool:
    _, last = campaign_dates(turn.app.settings, turn.now)
    return to_local(turn.now).date() <= last


async def start(turn: Turn) -> list[Reply]:
    """Menu button, /nhaclich, the deep link, "nhắc tôi": the offer, or the current settings."""
    incoming = turn.incoming
    found = await subscriptions.find(turn.db, incoming.channel, incoming.chat_id)
    if found is not None:
        return [say.already(slot_text(turn.app.settings, found.slot), found.commune)]
    return [_offer(turn)]


def _offer(turn: Turn, *, enter: bool = True) -> Reply:
    settings = turn.app.settings
    first, last = campaign_dates(settings, turn.now)
    morning = f"{slot_time(settings, ReminderSlot.MORNING):%H:%M}"
    evening = f"{slot_time(settings, ReminderSlot.EVENING):%H:%M}"
    if enter:
        turn.state.enter(FLOW, "slot")
    return Reply(
        say.offer(first, last, morning, evening, _upcoming(turn)),
        (
            Button(say.slot_label(ReminderSlot.MORNING, morning), "reminders:slot:morning"),
            Button(say.slot_label(ReminderSlot.EVENING, evening), "reminders:slot:evening"),
            Button(say.BUTTON_NO_THANKS, "reminders:no"),
        ),
    )


async def _communes(turn: Turn) -> list[str]:
    upcoming = await help_sessions.upcoming_sessions(turn.db, turn.now)
    return sorted({s.session.commune for s in upcoming})


async def _ask_commune(turn: Turn) -> list[Reply]:
    communes = await _communes(turn)
    if not communes:
        turn.state.reset()
        return []
    turn.state.enter(FLOW, "commune", {"communes": communes})
    buttons = [Button(c, f"reminders:place:{i}") for i, c in enumerate(communes)]
    buttons.append(Button(say.BUTTON_SKIP_COMMUNE, "reminders:place:none"))
    return [Reply(say.ask_commune(communes), tuple(buttons))]


async def _subscribe(turn: Turn, slot: ReminderSlot) -> list[Reply]:
    incoming = turn.incoming
    found = await subscriptions.subscribe(
        turn.db, incoming.channel, incoming.chat_id, slot, turn.now
    )
    logger.info("reminders subscribed chat=%s slot=%s", mask_id(incoming.chat_id), slot)
    if await queue_for_latecomer(turn.app, turn.db, found):
        turn.queued_outbox = True
    if found.commune is None:
        asked = await _ask_commune(turn)
        if asked:
            return asked
    return [_confirmation(turn, slot, found.commune)]


def _confirmation(turn: Turn, slot: ReminderSlot, commune: str | None) -> Reply:
    first, _ = campaign_dates(turn.app.settings, turn.now)
    return say.subscribed(slot_text(turn.app.settings, slot), commune, first, _upcoming(turn))


async def _set_commune(turn: Turn, choice: str) -> list[Reply]:
    communes: list[str] = turn.state.data.get("communes") or await _communes(turn)
    index = small_number(choice)
    commune = communes[index] if index is not None and index < len(communes) else None
    incoming = turn.incoming
    await subscriptions.set_commune(turn.db, incoming.channel, incoming.chat_id, commune, turn.now)
    found = await subscriptions.find(turn.db, incoming.channel, incoming.chat_id)
    turn.state.reset()
    if found is None:
        return [_offer(turn)]
    return [_confirmation(turn, found.slot, found.commune)]


async def stop(turn: Turn) -> list[Reply]:
    """/huynhac, the button under every reminder, "dừng nhắc": at once, queued ones too."""
    incoming = turn.incoming
    turn.state.reset()
    if not await subscriptions.stop(turn.db, incoming.channel, incoming.chat_id):
        return [say.not_subscribed()]
    withdrawn = await withdraw_queued(turn)
    logger.info("reminders stopped chat=%s withdrawn=%d", mask_id(incoming.chat_id), withdrawn)
    return [say.stopped()]


async def withdraw_queued(turn: Turn) -> int:
    incoming = turn.incoming
    return await outbox.withdraw(
        turn.db,
        OutboxMessage.channel == incoming.channel,
        OutboxMessage.chat_id == incoming.chat_id,
        OutboxMessage.kind.in_(STOPPED_KINDS),
        reason="the person stopped the reminders",
    )


async def button(turn: Turn) -> list[Reply]:
    """`reminders:*` buttons, in the flow or outside it (a reminder's stop button)."""
    match (turn.payload or "").split(":")[1:]:
        case ["start"]:
            return await start(turn)
        case ["stop"]:
            return await stop(turn)
        case ["no"]:
            turn.state.reset()
            return [say.declined()]
        case ["slot", value] if value in {s.value for s in ReminderSlot}:
            return await _subscribe(turn, ReminderSlot(value))
        case ["change"]:
            return [_offer(turn)]
        case ["commune"]:
            return await _ask_commune(turn) or await start(turn)
        case ["place", choice]:
            return await _set_commune(turn, choice)
    return await start(turn)


async def typed(turn: Turn) -> list[Reply]:
    """Text typed inside the flow: a slot or a commune by name, else a hint."""
    said = normalize(turn.text)
    if turn.state.step == "commune":
        for index, commune in enumerate(turn.state.data.get("communes", [])):
            if said and said in normalize(commune):
                return await _set_commune(turn, str(index))
    elif "sang" in said.split():
        return await _subscribe(turn, ReminderSlot.MORNING)
    elif "toi" in said.split():
        return await _subscribe(turn, ReminderSlot.EVENING)
    # Not a choice (perhaps a question): leave the flow so the next message is answered as
    # usual; the buttons shown keep working outside it.
    step = turn.state.step
    turn.state.reset()
    if step == "commune":
        return [Reply(say.pick_from_buttons(), (Button(say.BUTTON_COMMUNE, "reminders:commune"),))]
    return [_offer(turn, enter=False)]


async def flow(turn: Turn) -> list[Reply]:
    return await button(turn) if turn.payload is not None else await typed(turn)
