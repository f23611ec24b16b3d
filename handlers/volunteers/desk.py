"""Where the volunteer desk is (VOLUNTEER_CHAT_ID on a channel with group chats) and whether
it works: checked at start-up and again by the desk job, said plainly in the log.

A citizen is offered a ticket only while the last check says the desk is ready; otherwise
they are told volunteers are not available rather than given a ticket nobody will see.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.channels.base import GroupCheck, GroupDesk
from bot.context import AppContext
from bot.privacy import mask_id

logger = logging.getLogger(__name__)

# A desk found ready is checked again after this long (rights can be taken away).
RECHECK_SECONDS = 300.0
FIX = (
    "add the bot to the group and make it an administrator (with the 'Manage topics' right "
    "when the group has topics); until then citizens are told volunteers are not available"
)


@dataclass(frozen=True)
class DeskPlace:
    """The group the volunteers work in, and the channel that reaches it."""

    channel: str
    chat_id: str
    desk: GroupDesk


def desk_of(app: AppContext) -> DeskPlace | None:
    """The configured group on a running channel that has group chats; None otherwise."""
    where = app.settings.volunteer_desk()
    if where is None:
        return None
    channel = app.channels.get(where[0])
    if not isinstance(channel, GroupDesk):
        return None
    return DeskPlace(where[0], where[1], channel)


def ready_desk(app: AppContext) -> DeskPlace | None:
    """The desk, if its last check found it ready."""
    place = desk_of(app)
    if place is None:
        return None
    check = place.desk.last_check(place.chat_id)
    return place if check is not None and check.ready else None


async def check_at_start(app: AppContext) -> None:
    """Feature.on_start: say in the log whether the desk works, and if not, why."""
    where = app.settings.volunteer_desk()
    if where is None:
        logger.warning(
            "volunteer desk OFF: VOLUNTEER_CHAT_ID is not set; citizens are told volunteers "
            "are not available"
        )
        return
    if desk_of(app) is None:
        logger.error(
            "volunteer desk NOT READY: VOLUNTEER_CHAT_ID names channel %r, which is not "
            "running or has no group chats (is its token set?); citizens are told volunteers "
            "are not available",
            where[0],
        )
        return
    await refresh_check(app, force=True)


async def refresh_check(app: AppContext, *, force: bool = False) -> GroupCheck | None:
    """Check the group again when the last check failed or is old; log what changed."""
    place = desk_of(app)
    if place is None:
        return None
    before = place.desk.last_check(place.chat_id)
    if not force and before is not None and before.ready and _age(before) < RECHECK_SECONDS:
        return before
    after = await place.desk.check_group(place.chat_id)
    if before is None or (before.ready, before.topics, before.problem) != (
        after.ready,
        after.topics,
        after.problem,
    ):
        _log(place, after)
    return after


def _age(check: GroupCheck) -> float:
    return time.monotonic() - check.checked


def _log(place: DeskPlace, check: GroupCheck) -> None:
    group = mask_id(place.chat_id)
    if check.ready:
        mode = "one topic per ticket" if check.topics else "tickets as messages, replies thread"
        logger.info(
            "volunteer desk ready: %s group %s %r (%s)", place.channel, group, check.title, mode
        )
        return
    logger.error(
        "volunteer desk NOT READY: %s group %s: %s; %s",
        place.channel,
        group,
        check.problem,
        FIX,
    )
