"""The dispatcher: dedupe, one update at a time per conversation, routing, one error boundary."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.context import AppContext
from bot.features import CoreTexts
from bot.locks import KeyedLocks
from bot.messages import Button, ChatType, Incoming, Reply
from bot.payloads import small_number
from bot.privacy import mask_id
from bot.routing import Router
from bot.state import ConversationState
from bot.turn import Turn
from storage import inbox
from storage.conversations import conversation_data, find_conversation, load_conversation
from storage.dedupe import claim_update
from storage.models import Conversation

logger = logging.getLogger(__name__)

# Longer messages get a polite request to shorten: no question needs more, and it bounds work.
MAX_TEXT_CHARS = 1000
_LAST_BUTTONS = "__last_buttons"


class Dispatcher:
    """Takes an Incoming from any channel and returns the replies for the same chat."""

    def __init__(self, app: AppContext, router: Router, texts: CoreTexts) -> None:
        self.app = app
        self.router = router
        self.texts = texts
        self._locks = KeyedLocks()

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one update; never raises for a handler's fault.

        The update id is claimed in the same transaction as the handler's work, so the two
        commit together; when the handler fails, the id is claimed on its own afterwards, so
        a re-delivery of a failing update is skipped too: at most once.
        """
        # NUL, lone surrogates and control characters go here, at the boundary: a database
        # would refuse them in the middle of a form and the citizen could never finish it.
        incoming = incoming.cleaned()
        timer = metrics.TURN_SECONDS.labels(incoming.channel).time()
        async with self._locks.hold(incoming.conversation_key):
            try:
                with timer:
                    return await self._handle_in_order(incoming)
            except Exception:
                logger.exception(
                    "handler failed channel=%s chat=%s kind=%s payload=%.80s",
                    incoming.channel,
                    mask_id(incoming.chat_id),
                    incoming.kind,
                    incoming.payload,
                )
                apology = [self.texts.apology]
                await self._record_failure(incoming, apology)
                return apology

    async def last_buttons(self, channel: str, chat_id: str) -> list[Button]:
        """The buttons shown last in a conversation (a channel maps a short token back)."""
        async with self.app.open_db() as db:
            data = await conversation_data(db, channel, chat_id)
        return [Button(str(label), str(payload)) for label, payload in data.get(_LAST_BUTTONS, [])]

    async def show_buttons(self, channel: str, chat_id: str, buttons: Sequence[Button]) -> None:
        """Buttons a channel showed outside a turn (an outbox message): a typed number or a
        tap that comes back as text then presses these, not the last turn's."""
        async with self._locks.hold((channel, chat_id)), self.app.transaction() as db:
            row = await find_conversation(db, channel, chat_id)
            if row is not None:  # the last turn's time (updated_at) is left as it was
                shown = [[b.label, b.payload] for b in buttons]
                row.data = {**(row.data or {}), _LAST_BUTTONS: shown}

    async def _record_failure(self, incoming: Incoming, replies: list[Reply]) -> None:
        """Claim a failed update's id (a re-delivery is skipped) and store the apology."""
        if incoming.message_id is None and incoming.inbox_id is None:
            return
        try:
            async with self.app.transaction() as db:
                if incoming.message_id is not None:
                    await claim_update(
                        db,
                        incoming.channel,
                        incoming.message_id,
                        self.app.clock.now(),
                        incoming.chat_id,
                    )
                if incoming.inbox_id is not None:
                    await inbox.mark_answered(db, incoming.inbox_id, _as_dicts(replies))
        except Exception:
            logger.exception(
                "could not record a failed update channel=%s chat=%s",
                incoming.channel,
                mask_id(incoming.chat_id),
            )

    async def _handle_in_order(self, incoming: Incoming) -> list[Reply]:
        now = self.app.clock.now()
        async with self.app.transaction() as db:
            if incoming.message_id is not None and not await claim_update(
                db, incoming.channel, incoming.message_id, now, incoming.chat_id
            ):
                logger.info(
                    "duplicate update skipped channel=%s chat=%s",
                    incoming.channel,
                    mask_id(incoming.chat_id),
                )
                if incoming.inbox_id is not None:
                    await inbox.mark_answered(db, incoming.inbox_id, [])
                return []
            row = await load_conversation(db, incoming.channel, incoming.chat_id, now)
            # A deep copy: handlers mutate nested answers, and SQLAlchemy compares the new
            # JSON value with the loaded one to decide whether to write it.
            stored = copy.deepcopy(row.data or {})
            last_buttons = stored.pop(_LAST_BUTTONS, [])
            state = ConversationState(row.flow, row.step, stored)
            if row.blocked_at is not None:
                row.blocked_at = None  # they wrote to us, so they can be reached again
            turn = Turn(self.app, db, _press_numbered_button(incoming, last_buttons), state, now)
            notes = await self._expire_idle_flow(turn, row.updated_at)
            replies = await self._route(turn)
            if turn.erase_conversation:
                await db.delete(row)
            else:
                _save(row, state, _remember_buttons(state.data, replies, last_buttons), now)
            if incoming.inbox_id is not None:
                await inbox.mark_answered(db, incoming.inbox_id, _as_dicts(notes + replies))
        if turn.queued_outbox:
            self.app.outbox_wakeup.set()
        for job in turn.jobs_to_wake:
            self.app.wake(job)
        return notes + replies

    async def _expire_idle_flow(self, turn: Turn, updated_at: datetime) -> list[Reply]:
        """Leave a flow idle for longer than its own timeout; the flow says what to tell."""
        flow = self.router.flow_named(turn.state.flow)
        timeout = flow.timeout(self.app.settings) if flow is not None else None
        if flow is None or timeout is None or updated_at >= turn.now - timeout:
            return []
        turn.state.reset()
        return await flow.on_timeout(turn) if flow.on_timeout is not None else []

    async def _route(self, turn: Turn) -> list[Reply]:
        incoming = turn.incoming
        if incoming.chat_type == ChatType.PRIVATE:  # groups: their own route decides
            if _is_empty(incoming):
                metrics.UPDATES.labels(incoming.channel, "empty").inc()
                return [self.texts.empty]
            if len(incoming.text or "") > MAX_TEXT_CHARS:
                metrics.UPDATES.labels(incoming.channel, "too_long").inc()
                return [self.texts.too_long(MAX_TEXT_CHARS)]
        route, turn.incoming = self.router.resolve(incoming, turn.state)
        metrics.UPDATES.labels(incoming.channel, route.name).inc()
        notes: list[Reply] = []
        if route.leaves_flow:
            flow = self.router.flow_named(turn.state.flow)
            if flow is not None and flow.on_exit is not None:
                notes = await flow.on_exit(turn)
            turn.state.reset()
        logger.debug("route=%s chat=%s", route.name, mask_id(incoming.chat_id))
        replies = notes + await route.handler(turn)
        if incoming.chat_type == ChatType.PRIVATE:
            for hook in self.router.after_turn_hooks():
                replies += await hook(turn, replies)
        return replies


def _remember_buttons(
    data: dict[str, Any], replies: list[Reply], previous: list[list[str]]
) -> dict[str, Any]:
    """State data plus the buttons just shown, so a typed number can press one."""
    shown = [[b.label, b.payload] for reply in replies for b in reply.buttons]
    if shown or (previous and not replies):
        return {**data, _LAST_BUTTONS: shown or previous}
    return dict(data)


# The last-seen time is kept to the minute: a turn that changes nothing else writes nothing.
SEEN_PRECISION = timedelta(minutes=1)


def _save(row: Conversation, state: ConversationState, data: dict[str, Any], now: datetime) -> None:
    """Write the state back only where it changed (most turns only read it)."""
    if (row.flow, row.step, row.data) != (state.flow, state.step, data):
        row.flow, row.step, row.data = state.flow, state.step, data
        row.updated_at = now
    elif row.updated_at < now - SEEN_PRECISION:
        row.updated_at = now


def _as_dicts(replies: list[Reply]) -> list[dict[str, Any]]:
    return [reply.to_dict() for reply in replies]


def _is_empty(incoming: Incoming) -> bool:
    blank = not (incoming.text or "").strip()
    return incoming.kind == "text" and incoming.payload is None and blank


def _press_numbered_button(incoming: Incoming, last_buttons: list[list[str]]) -> Incoming:
    """A bare number answers the last list of buttons shown (for channels without buttons)."""
    number = small_number(incoming.text or "")
    if not incoming.numbered_buttons or incoming.payload is not None or number is None:
        return incoming
    index = number - 1
    if not 0 <= index < len(last_buttons):
        return incoming
    return replace(incoming, text=None, payload=last_buttons[index][1])
