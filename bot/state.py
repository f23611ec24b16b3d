"""Conversation state as handlers see it: a plain object saved by the dispatcher."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConversationState:
    """Which flow and step a chat is in, and the flow's answers so far.

    `data` must stay JSON-serialisable: it is stored in the database as is.
    """

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def reset(self) -> None:
        """Leave any flow; keeps nothing of its answers."""
        self.flow = None
        self.step = None
        self.data = {}

    def enter(self, flow: str, step: str, data: dict[str, Any] | None = None) -> None:
        """Start a flow at a step with fresh data."""
        self.flow = flow
        self.step = step
        self.data = dict(data or {})
