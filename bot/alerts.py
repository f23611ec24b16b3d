"""Alerts to organizers: outbox messages to every configured admin on a channel that runs.

For what an organizer must act on (a Zalo token that stopped working, a quota nearly used
up). The caller logs it too; the message goes out at NOTICE priority, once per `key`
(the outbox dedupe key), so several workers seeing the same problem alert once.
"""

from __future__ import annotations

import hashlib
import logging

from bot.context import AppContext
from bot.messages import Reply
from storage import outbox
from storage.models import InDoubtPolicy

logger = logging.getLogger(__name__)

ALERT_KIND = "alert"


async def alert_organizers(app: AppContext, text: str, *, key: str) -> int:
    """Queue `text` to each organizer once per `key`; returns how many were queued."""
    messages = [
        outbox.Message(
            channel=channel,
            chat_id=user_id,
            reply=Reply(text).to_dict(),
            kind=ALERT_KIND,
            priority=outbox.Priority.NOTICE,
            on_doubt=InDoubtPolicy.RESEND,
            source="alert",
            dedupe_key=_dedupe_key(key, channel, user_id),
        )
        for channel, user_id in sorted(app.settings.admins())
        if channel in app.channels  # a row for a channel that does not run would wait forever
    ]
    if not messages:
        logger.warning("alert not sent to anyone: no organizer on a running channel (ADMIN_IDS)")
        return 0
    async with app.transaction() as db:
        queued = sum([await outbox.enqueue(db, message, app.clock.now()) for message in messages])
    if queued:
        app.outbox_wakeup.set()
    return queued


def _dedupe_key(key: str, channel: str, user_id: str) -> str:
    """`alert:<key>:<hash>`: the recipient's id is hashed, the key stays readable."""
    who = hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest()[:16]
    return f"alert:{key[:160]}:{who}"
