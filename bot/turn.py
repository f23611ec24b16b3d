"""What a handler gets for one update: the app, a database session, the message, the state."""

from __future__ import annotations

from dataclasses import dataclass, field
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
    # Set by a handler that could not answer the message (the FAQ's fallback or suggestions),
    # for other features to notice (Router.after_turn).
    unanswered: bool = False
    # Background jobs to wake once this turn's transaction has committed.
    jobs_to_wake: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return (self.incoming.text or "").strip()

    @property
    def payload(self) -> str | None:
        return self.incoming.payload

    @property
    def is_admin(self) -> bool:
        return self.app.is_admin(self.incoming.channel, self.incoming.user_id)

    def wake(self, job: str) -> None:
        """Run the feature job named `job` soon after this turn commits (bot/features.py Job)."""
        self.jobs_to_wake.add(job)

    async def notify(self, message: outbox.Message) -> bool:
        """Queue a message to someone else; it is sent after this turn commits."""
        queued = await outbox.enqueue(self.db, message, self.now)
        self.queued_outbox = self.queued_outbox or queued
        return queued
