"""“Delete my data” for the core tables: every row keyed to one person's chat."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import dedupe, outbox, unanswered, web_mailbox


async def erase_chat(
    db: AsyncSession, channel: str, chat_id: str, person_key: str
) -> dict[str, int]:
    """Delete the person's update keys, messages to them, their page's mailbox and their
    stored questions; the conversation row itself is removed by the dispatcher (it holds
    the row of the current turn). Feature tables are erased by their own features."""
    return {
        "update_ids": await dedupe.forget_chat(db, channel, chat_id),
        "outbox": await outbox.delete_for_chat(db, channel, chat_id),
        "web_mailbox": await web_mailbox.delete_for(db, chat_id),
        "unanswered": await unanswered.delete_for(db, person_key),
    }
