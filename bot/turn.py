"""What a handler gets for one update: the app, a database session, the message, the state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.messages import Incoming
from bot.state import ConversationState
from storage import outbox


@dataclass
class Turn:
    """One update being handled, inside one database transaction."""

    app: AppContext
    db: AsyncSession
    incoming: Incoming
    state: ConversationState
    now: datetime
    queued_outbox: bool = False
    # Set by "delete my data": the dispatcher deletes the conversation row instead of saving.
    erase_conversation: bool = False

    @property
    def text(self) -> str:
        return (self.incoming.text or "").strip()

    @property
    def payload(self) -> str | None:
        return self.incoming.payload

    @property
    def is_admin(self) -> bool:
        return self.app.is_admin(self.incoming.channel, self.incoming.user_id)

    async def notify(self, message: outbox.Message) -> bool:
        """Queue a message to someone else; it is sent after this turn commits."""
        queued = await outbox.enqueue(self.db, message, self.now)
        self.queued_outbox = self.queued_outbox or queued
        return queued
