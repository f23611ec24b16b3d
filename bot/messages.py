"""Channel-neutral message types shared by channels, dispatcher and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Button:
    """A tappable choice; `payload` is what comes back when it is pressed."""

    label: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One message to show: text plus optional buttons."""

    text: str
    buttons: tuple[Button, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        buttons = tuple(Button(str(b["label"]), str(b["payload"])) for b in data.get("buttons", []))
        return cls(text=str(data["text"]), buttons=buttons)


@dataclass(frozen=True)
class Incoming:
    """One update from a citizen, whatever the channel.

    Exactly one of `text` or `payload` is normally set; `kind` tells messages the bot
    cannot read (sticker, photo, voice, ...) so handlers can answer them politely.
    """

    channel: str
    chat_id: str
    user_id: str
    text: str | None = None
    payload: str | None = None
    message_id: str | None = None
    kind: str = "text"
    display_name: str | None = None
    # The channel shows buttons as a numbered list, so a bare number presses one.
    numbered_buttons: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def conversation_key(self) -> tuple[str, str]:
        return (self.channel, self.chat_id)
