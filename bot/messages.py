"""Channel-neutral message types shared by channels, dispatcher and handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

# NUL and other C0/C1 controls (tab and newline are kept), and lone UTF-16 surrogates, which
# JSON can carry but UTF-8 databases and platforms refuse.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: str | None) -> str | None:
    """User text made safe to store and send: unsafe characters dropped, CR LF as LF."""
    if text is None:
        return None
    return _UNSAFE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_json(value: Any) -> Any:
    """`clean_text` applied to every string (keys too) of a decoded JSON value."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): clean_json(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Button:
    """A tappable choice; `payload` is what comes back when it is pressed."""

    label: str
    payload: str


@dataclass(frozen=True)
class Link:
    """A short link shown under the text ("Nguồn: Báo Dân trí, kiểm tra 04/01/2025")."""

    label: str
    url: str


@dataclass(frozen=True)
class Reply:
    """One message to show: text, optional buttons, optional links (sources), optional picture.

    Channels that render links show `label` as a link to `url`; others print both.
    `media_id` is a picture as its platform knows it (an `Incoming.media_id`, e.g. a citizen's
    screenshot relayed to the volunteers): only a channel of that platform can show it, with
    the text as its caption.
    `qr` is a short text (a booking code, a link) that the web chat also draws as a QR code;
    other channels leave it out, so the text itself must carry what matters.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    media_id: str | None = None
    qr: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "buttons": [{"label": b.label, "payload": b.payload} for b in self.buttons],
        }
        if self.links:
            data["links"] = [{"label": link.label, "url": link.url} for link in self.links]
        if self.media_id:
            data["media_id"] = self.media_id
        if self.qr:
            data["qr"] = self.qr
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        buttons = tuple(Button(str(b["label"]), str(b["payload"])) for b in data.get("buttons", []))
        links = tuple(Link(str(k["label"]), str(k["url"])) for k in data.get("links", []))
        media_id, qr = data.get("media_id"), data.get("qr")
        return cls(
            text=str(data["text"]),
            buttons=buttons,
            links=links,
            media_id=str(media_id) if media_id else None,
            qr=str(qr) if qr else None,
        )


class ChatType(StrEnum):
    """Where a message was written: a private chat with the bot, or a group."""

    PRIVATE = "private"
    GROUP = "group"


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
    # The stored platform update this came from (bot/inbox.py): its replies are stored with
    # the handler's work, so a crash before they are sent does not lose them.
    inbox_id: int | None = None
    chat_type: ChatType = ChatType.PRIVATE
    # A forum topic (thread) inside a group chat, and the message this one replies to.
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    # A picture (or file) the person sent: the platform's reference to fetch or forward it.
    media_id: str | None = None

    @property
    def conversation_key(self) -> tuple[str, str]:
        return (self.channel, self.chat_id)

    def cleaned(self) -> Incoming:
        """The same update with every user-supplied string made safe (see clean_text)."""
        return replace(
            self,
            text=clean_text(self.text),
            payload=clean_text(self.payload),
            message_id=clean_text(self.message_id),
            display_name=clean_text(self.display_name),
        )
