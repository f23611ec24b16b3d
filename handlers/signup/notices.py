"""Messages to people about their sign-ups: a seat from the waitlist, the day-before reminder."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from bot.clock import VN_TZ, to_local
from bot.context import AppContext
from bot.privacy import mask_id
from bot.turn import Turn
from handlers.signup import booking_texts as say
from storage import outbox, signups
from storage.models import HelpSession, InDoubtPolicy, Signup

logger = logging.getLogger(__name__)

# Day-before reminders are queued only in daytime, Vietnam time (no messages at night).
REMINDER_FROM_HOUR = 8
REMINDER_UNTIL_HOUR = 21
# How often the reminder job looks for sessions starting tomorrow.
REMINDER_EVERY_SECONDS = 600


def promotion_message(session: HelpSession, person: Signup) -> outbox.Message:
    """The "you have a seat now" notice, on the channel they signed up on; queued once per sign-up.

    Resent if a crash leaves it in doubt: a duplicate is better than an empty seat.
    """
    return outbox.Message(
        channel=person.channel,
        chat_id=person.chat_id,
        reply=say.promoted(session, person).to_dict(),
        kind="signup.promoted",
        priority=outbox.Priority.NOTICE,
        on_doubt=InDoubtPolicy.RESEND,
        source=f"session:{session.slug}"[:64],
        dedupe_key=f"signup-promoted:{person.id}",
    )


async def notify_promoted(turn: Turn, cancellation: signups.Cancellation) -> None:
    """Tell each promoted person, on the channel they signed up on, after this turn commits."""
    for person in cancellation.promoted:
        await turn.notify(promotion_message(cancellation.session, person))
        logger.info(
            "signup promoted session=%s chat=%s",
            cancellation.session.slug,
            mask_id(person.chat_id),
        )


def _tomorrow_utc(now: datetime) -> tuple[datetime, datetime]:
    tomorrow = to_local(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0, 0), VN_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


async def queue_day_before_reminders(app: AppContext, now: datetime) -> int:
    """Queue (once each) a reminder to everyone confirmed for a session starting tomorrow.

    Runs often; between 08:00 and 21:00 Vietnam time it queues what is not queued yet
    (the outbox dedupe key makes repeats no-ops), so late promotions are reminded too.
    """
    if not REMINDER_FROM_HOUR <= to_local(now).hour < REMINDER_UNTIL_HOUR:
        return 0
    start, end = _tomorrow_utc(now)
    queued = 0
    async with app.transaction() as db:
        for signup, session in await signups.confirmed_starting_between(db, start, end):
            message = outbox.Message(
                channel=signup.channel,
                chat_id=signup.chat_id,
                reply=say.reminder(session, signup).to_dict(),
                kind="signup.reminder",
                source=f"session:{session.slug}"[:64],
                dedupe_key=signups.REMINDER_KEY.format(signup_id=signup.id),
            )
            queued += await outbox.enqueue(db, message, now)
    if queued:
        logger.info("session reminders queued=%d", queued)
        app.outbox_wakeup.set()
    return queued


async def remind_tomorrow(app: AppContext) -> None:
    """The periodic task of bot/runtime.py."""
    await queue_day_before_reminders(app, app.clock.now())
