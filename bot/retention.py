"""Retention: every table that grows with use is trimmed here, hourly, by housekeeping.

What is kept and for how long is set in the settings (RETAIN_*; README "Privacy"):
- update ids (dedupe): 3 days, longer than any platform retries a delivery;
- finished inbox rows: RETAIN_INBOX_DAYS (their payload is emptied as soon as they finish);
- outbox rows in a final status: RETAIN_OUTBOX_DAYS (delivery reports need them a while);
- web-chat messages never collected by their page: RETAIN_MAILBOX_DAYS;
- conversations left in a flow past the flow's own timeout (a half-filled form may hold an
  unconfirmed name or phone; the sign-up form's timeout is FORM_TIMEOUT_HOURS);
- conversations outside any flow and idle: RETAIN_CONVERSATIONS_DAYS;
- unanswered questions (numbers and names hidden): RETAIN_UNANSWERED_DAYS;
- sign-ups: RETAIN_SIGNUPS_DAYS_AFTER_SESSION after their session ended;
- Zalo Bot monthly send counts (no personal data): about 13 months, so this October's use
  can be compared with last October's.
- volunteer tickets and their messages: RETAIN_TICKETS_DAYS after they closed (every ticket
  closes: unclaimed ones give up, claimed ones close when idle);
- FAQ drafts from volunteers' answers (masked): RETAIN_FAQ_DRAFTS_DAYS after they were saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.channels.zalo.quota import month_of
from bot.context import AppContext
from bot.routing import Flow
from storage import (
    audit,
    conversations,
    dedupe,
    faq_drafts,
    inbox,
    outbox,
    signups,
    tickets,
    unanswered,
    web_mailbox,
    zalo,
)

UPDATE_IDS_KEPT = timedelta(days=3)
SEND_COUNTS_KEPT = timedelta(days=400)


async def enforce_retention(app: AppContext, flows: Sequence[Flow] = ()) -> dict[str, int]:
    """Delete what is past its retention; returns how many rows of each kind went."""
    settings = app.settings
    now = app.clock.now()

    def days(count: int) -> timedelta:
        return timedelta(days=count)

    async with app.transaction() as db:
        left_flows = 0
        for flow in flows:
            timeout = flow.timeout(settings)
            if timeout is not None:
                left_flows += await conversations.clear_idle_flow(db, flow.name, now - timeout)
        return {
            "idle_flows": left_flows,
            "update_ids": await dedupe.forget_updates_before(db, now - UPDATE_IDS_KEPT),
            "inbox": await inbox.delete_done_before(db, now - days(settings.retain_inbox_days)),
            "outbox": await outbox.delete_finished_before(
                db, now - days(settings.retain_outbox_days)
            ),
            "web_mailbox": await web_mailbox.delete_before(
                db, now - days(settings.retain_mailbox_days)
            ),
            "idle_conversations": await conversations.delete_idle_before(
                db, now - days(settings.retain_conversations_days)
            ),
            "unanswered": await unanswered.delete_before(
                db, now - days(settings.retain_unanswered_days)
            ),
            "signups": await signups.delete_ended_before(
                db, now - days(settings.retain_signups_days_after_session)
            ),
            "tickets": await tickets.delete_closed_before(
                db, now - days(settings.retain_tickets_days)
            ),
            "faq_drafts": await faq_drafts.delete_before(
                db, now - days(settings.retain_faq_drafts_days)
            ),
            "audit_log": await audit.delete_before(db, now - days(settings.retain_audit_days)),
            "zalo_send_counts": await zalo.delete_counts_before(
                db, month_of(now - SEND_COUNTS_KEPT)
            ),
        }
