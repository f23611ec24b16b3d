"""Parsing Zalo webhook and getUpdates bodies into plain events; no I/O, no trust.

The variants seen in different sources (marked [?], see ASSUMPTIONS.md) are all accepted.
Anything that is not a JSON object naming its event, or a citizen message without its
sender or text, raises MalformedEvent; everything else parses, unknown events included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

MAX_ID_CHARS = 128
MAX_EPOCH_MS = 253_402_300_799_999  # 9999-12-31: later values cannot be a datetime


class MalformedEvent(ValueError):
    """The body is not a Zalo event this module can read."""


class EventKind(StrEnum):
    """What happened, as far as the bot cares."""

    TEXT = "text"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    IMAGE = "image"
    STICKER = "sticker"
    OTHER = "other"  # a citizen message the bot cannot read: audio, video, file, location...
    UNKNOWN = "unknown"  # not a citizen message (echo, seen, delivered...) or a new event: ignore


@dataclass(frozen=True)
class InboundEvent:
    """One event from a citizen, whichever Zalo surface sent it."""

    kind: EventKind
    event_name: str
    sender_id: str | None  # the citizen: OA sender.id / follower.id, Bot from.id
    chat_id: str | None  # where to answer: the citizen on OA, chat.id on the Bot
    message_id: str | None  # OA msg_id, Bot message_id: what both platforms redeliver
    timestamp_ms: int | None
    text: str | None = None  # the message, or an image caption
    display_name: str | None = None
    media_url: str | None = None  # image or sticker URL
    is_group: bool = False

    @property
    def sent_at(self) -> datetime | None:
        if self.timestamp_ms is None:
            return None
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    @property
    def dedupe_key(self) -> str | None:
        """The message id; follow/unfollow have none, so their event, sender and time."""
        if self.message_id is not None:
            return self.message_id
        if self.sender_id is None or self.timestamp_ms is None:
            return None
        return f"{self.event_name}:{self.sender_id}:{self.timestamp_ms}"


# user_send_* events: O1 zalo_events_job.rb lists the set, O4 and O5 §13.5 agree.
_OA_KINDS = {
    "user_send_text": EventKind.TEXT,
    "user_click_button": EventKind.TEXT,  # named by one n8n doc only [?]
    "user_send_image": EventKind.IMAGE,
    "user_send_sticker": EventKind.STICKER,
    "follow": EventKind.FOLLOW,
    "unfollow": EventKind.UNFOLLOW,
}
_OA_OTHER_PREFIX = "user_send_"
# S3 EventName, S5 api.ts; voice and document appear in other code only [?].
_BOT_KINDS = {
    "message.text.received": EventKind.TEXT,
    "message.image.received": EventKind.IMAGE,
    "message.sticker.received": EventKind.STICKER,
    "message.unsupported.received": EventKind.OTHER,
    "message.voice.received": EventKind.OTHER,
    "message.document.received": EventKind.OTHER,
}


def parse_oa_event(raw: bytes | Mapping[str, Any]) -> InboundEvent:
    """An OA webhook body (O1, O4, O5 §13.4, O7) as an event."""
    body = _object(raw)
    name = _event_name(body)
    kind = _OA_KINDS.get(name)
    if kind is None:
        kind = EventKind.OTHER if name.startswith(_OA_OTHER_PREFIX) else EventKind.UNKNOWN
    message = _mapping(body.get("message"))
    if kind in (EventKind.FOLLOW, EventKind.UNFOLLOW):
        sender = _id(_mapping(body.get("follower")).get("id"))
    else:
        sender = _id(_mapping(body.get("sender")).get("id"))
    text = _text(message.get("text"))
    # msg_id everywhere but one n8n doc, which says mid [?].
    message_id = _id(message.get("msg_id")) or _id(message.get("mid"))
    if kind is not EventKind.UNKNOWN and sender is None:
        raise MalformedEvent(f"{name} without a sender")
    if kind is EventKind.TEXT and text is None:
        raise MalformedEvent(f"{name} without text")
    return InboundEvent(
        kind=kind,
        event_name=name,
        sender_id=sender,
        chat_id=sender,
        message_id=message_id,
        timestamp_ms=_ms(body.get("timestamp")),
        text=text,
        media_url=_oa_media_url(message),
    )


def _oa_media_url(message: Mapping[str, Any]) -> str | None:
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return None
    for attachment in attachments:
        payload = _mapping(_mapping(attachment).get("payload"))
        url = payload.get("url")
        if isinstance(url, str) and url:
            return url
    return None


def parse_bot_update(raw: bytes | Mapping[str, Any]) -> InboundEvent:
    """A Zalo Bot update (S3, S5, S6), flat or wrapped in {"ok": true, "result": ...}."""
    body = _object(raw)
    # The webhook envelope is flat for S5/S8 and wrapped in S1's example [?]: accept both.
    if body.get("ok") is True and "result" in body:
        body = _mapping(body["result"])
    name = _event_name(body)
    kind = _BOT_KINDS.get(name, EventKind.UNKNOWN)
    message = _mapping(body.get("message"))
    chat = _mapping(message.get("chat"))
    sender = _mapping(message.get("from"))
    sender_id = _id(sender.get("id"))
    chat_id = _id(chat.get("id")) or sender_id
    text = _text(message.get("text"))
    if kind is EventKind.IMAGE:
        text = _text(message.get("caption"))
    if kind is not EventKind.UNKNOWN and (sender_id is None or chat_id is None):
        raise MalformedEvent(f"{name} without a sender")
    if kind is EventKind.TEXT and text is None:
        raise MalformedEvent(f"{name} without text")
    # display_name in S2/S3/S5, first_name in the S6 docs sample [?].
    name_value = sender.get("display_name") or sender.get("first_name")
    return InboundEvent(
        kind=kind,
        event_name=name,
        sender_id=sender_id,
        chat_id=chat_id,
        message_id=_id(message.get("message_id")),
        timestamp_ms=_ms(message.get("date")),
        text=text,
        display_name=name_value if isinstance(name_value, str) and name_value else None,
        media_url=_bot_media_url(message),
        is_group=str(chat.get("chat_type", "")).upper() == "GROUP",
    )


def _bot_media_url(message: Mapping[str, Any]) -> str | None:
    # photo_url, not photo (S5 api.ts, S1); sticker URLs are not documented.
    url = message.get("photo_url")
    return url if isinstance(url, str) and url else None


def _object(raw: bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(raw, Mapping):
        return raw
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedEvent("not JSON") from error
    if not isinstance(body, dict):
        raise MalformedEvent("not a JSON object")
    return body


def _event_name(body: Mapping[str, Any]) -> str:
    name = body.get("event_name")
    if not isinstance(name, str) or not name or len(name) > MAX_ID_CHARS:
        raise MalformedEvent("no event_name")
    return name


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(value: object) -> str | None:
    """Ids are strings (they exceed 2^53, O5 §13.4); an int is accepted, anything else is absent."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text and len(text) <= MAX_ID_CHARS else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _ms(value: object) -> int | None:
    """Epoch milliseconds, sent as a string by the OA and as a number by the Bot."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 16:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_EPOCH_MS else None
