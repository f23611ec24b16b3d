"""Organizers' announcements: an audience, a time, batches queued through the outbox.

Audiences: `subscribers` (the reminders' subscribers), `signups` (people signed up for a
session not started yet) or `signups:<session id>` (one session: how a change of time or
place reaches them), and `all` (both). Queuing goes in batches at the announcement's time
and remembers how far it got, so a crash resumes; each person gets it once (dedupe key).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from handlers.reminders import texts as say
from storage import broadcasts, outbox, signups, subscriptions
from storage.models import Broadcast, BroadcastStatus, InDoubtPolicy

logger = logging.getLogger(__name__)

BATCH = 1000
MAX_TEXT_CHARS = 1500  # with the heading, one Zalo message (2,000) and far under Telegram's
AUDIENCES = ("subscribers", "signups", "all")


class BadAudience(ValueError):
    """Not one of the audiences above."""


@dataclass(frozen=True)
class Audience:
    kind: str  # subscribers | signups | all
    session_slug: str | None = None

    @classmethod
    def parse(cls, spec: str) -> Audience:
        kind, _, slug = spec.partition(":")
        if kind not in AUDIENCES or (slug and kind != "signups"):
            raise BadAudience(f"unknown audience {spec!r}: subscribers, signups[:SESSION] or all")
        return cls(kind, slug or None)

    @property
    def phases(self) -> tuple[str, ...]:
        return {"subscribers": ("s",), "signups": ("g",), "all": ("s", "g")}[self.kind]


async def people_page(
    db: AsyncSession, audience: Audience, commune: str | None, position: str, now: datetime
) -> tuple[list[tuple[str, str, str]], str]:
    """One page of (channel, chat id, message kind) after `position`, and the next position
    ("" when the audience is exhausted). Positions look like "s:1200" or "g:35"."""
    phase, _, last = position.partition(":") if position else (audience.phases[0], "", "0")
    after = int(last or 0)
    if phase == "s":
        rows = await subscriptions.batch(db, after_id=after, limit=BATCH, commune=commune)
        people = [(r.channel, r.chat_id, "broadcast.subscribers") for r in rows]
        ids = [r.id for r in rows]
    else:
        found = await signups.people_batch(
            db,
            after_id=after,
            limit=BATCH,
            starts_after=now,
            session_slug=audience.session_slug,
            commune=commune,
        )
        people = [(channel, chat, "broadcast.signups") for _, channel, chat in found]
        ids = [signup_id for signup_id, _, _ in found]
    if len(ids) == BATCH:
        return people, f"{phase}:{ids[-1]}"
    later = audience.phases[audience.phases.index(phase) + 1 :]
    return people, f"{later[0]}:0" if later else ""


async def count_audience(
    db: AsyncSession, audience: Audience, commune: str | None, now: datetime
) -> dict[str, int]:
    """People per channel (each counted once), for the preview before sending."""
    seen: set[tuple[str, str]] = set()
    position = ""
    while True:
        people, position = await people_page(db, audience, commune, position, now)
        seen |= {(channel, chat) for channel, chat, _ in people}
        if not position:
            return dict(Counter(channel for channel, _ in seen))


def message_for(broadcast: Broadcast, channel: str, chat_id: str, kind: str) -> outbox.Message:
    reply = say.announcement(broadcast.text, to_subscribers=kind == "broadcast.subscribers")
    return outbox.Message(
        channel=channel,
        chat_id=chat_id,
        reply=reply.to_dict(),
        kind=kind,
        priority=outbox.Priority.BULK,
        # A duplicate to thousands is worse than one gap: in-doubt ones are reported.
        on_doubt=InDoubtPolicy.REPORT,
        source=broadcasts.source_of(broadcast.id),
        dedupe_key=f"{broadcasts.source_of(broadcast.id)}:{channel}:{chat_id}",
    )


async def queue_due_broadcasts(app: AppContext) -> None:
    """The job: queue the next batch of every announcement whose time has come."""
    while await _queue_one_batch(app):
        app.outbox_wakeup.set()


async def _queue_one_batch(app: AppContext) -> bool:
    now = app.clock.now()
    async with app.transaction() as db:
        broadcast = await broadcasts.next_due(db, now)
        if broadcast is None:
            return False
        audience = Audience.parse(broadcast.audience)
        people, position = await people_page(
            db, audience, broadcast.commune, broadcast.queued_up_to, now
        )
        messages = [message_for(broadcast, c, chat, kind) for c, chat, kind in people]
        broadcast.queued += await outbox.enqueue_many(db, messages, now)
        broadcast.status = BroadcastStatus.QUEUING
        broadcast.queued_up_to = position
        if not position:
            broadcast.status = BroadcastStatus.QUEUED
            broadcast.finished_at = now
            logger.info("broadcast %d queued=%d", broadcast.id, broadcast.queued)
    return True
