"""Telegram update -> Incoming: private chats, groups with forum topics, buttons, media."""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType as TelegramChatType

from bot.messages import ChatType, Incoming
from storage.inbox import Received

CHANNEL = "telegram"
GROUP_TYPES = (TelegramChatType.GROUP, TelegramChatType.SUPERGROUP)
# Media kinds the core answers politely; the order matters (an animation also has a document,
# a venue also has a location).
MEDIA_KINDS = (
    ("sticker", "sticker"),
    ("photo", "photo"),
    ("voice", "voice"),
    ("video_note", "video_note"),
    ("video", "video"),
    ("animation", "animation"),
    ("audio", "audio"),
    ("document", "document"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "dice"),
)


def incoming_from(update: Update) -> tuple[Incoming, CallbackQuery | None] | None:
    """The Incoming for an update; None for what the bot ignores (channels, service
    messages, edits)."""
    query = update.callback_query
    if query is not None:
        return _from_callback(query)
    message = update.message
    if message is None or _chat_type(message) is None:
        return None
    kind = "text" if message.text is not None else _media_kind(message)
    if kind is None:
        return None  # service messages (pinned, topic created, write access allowed, ...)
    user = message.from_user
    chat_id = str(message.chat.id)
    reply_to = message.reply_to_message
    return (
        Incoming(
            channel=CHANNEL,
            chat_id=chat_id,
            user_id=str(user.id) if user else chat_id,
            text=message.text if message.text is not None else message.caption,
            kind=kind,
            message_id=str(update.update_id),
            display_name=user.first_name if user else None,
            chat_type=_chat_type(message) or ChatType.PRIVATE,
            thread_id=_thread_of(message),
            # In a forum topic every message "replies" to the topic's first message.
            reply_to_message_id=(
                str(reply_to.message_id)
                if reply_to is not None and not message.is_topic_message
                else None
            ),
            media_id=_media_id(message),
        ),
        None,
    )


def _from_callback(query: CallbackQuery) -> tuple[Incoming, CallbackQuery] | None:
    message = query.message
    if message is None or not isinstance(message, Message) or not query.data:
        return None
    chat_type = _chat_type(message)
    if chat_type is None:
        return None
    chat_id = str(message.chat.id)
    # In a private chat one choice per message: a double tap (two callback queries) and a
    # re-delivered update share this key, so only one is handled. In a group several
    # people may tap the same button (a claim): each tap is its own update.
    key = (
        f"cb:{chat_id}:{message.message_id}" if chat_type == ChatType.PRIVATE else f"cbq:{query.id}"
    )
    incoming = Incoming(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=str(query.from_user.id),
        payload=query.data,
        message_id=key,
        display_name=query.from_user.first_name,
        chat_type=chat_type,
        thread_id=_thread_of(message),
        reply_to_message_id=str(message.message_id),
    )
    return incoming, query


def _chat_type(message: Message) -> ChatType | None:
    if message.chat.type == TelegramChatType.PRIVATE:
        return ChatType.PRIVATE
    if message.chat.type in GROUP_TYPES:
        return ChatType.GROUP
    return None  # channels


def _thread_of(message: Message) -> str | None:
    return str(message.message_thread_id) if message.is_topic_message else None


def _media_kind(message: Message) -> str | None:
    for attribute, kind in MEDIA_KINDS:
        if getattr(message, attribute, None):
            return kind
    return "other" if message.effective_attachment else None


def _media_id(message: Message) -> str | None:
    """The file id to forward a picture or file (the largest size of a photo)."""
    if message.photo:
        return message.photo[-1].file_id
    if message.document is not None:
        return message.document.file_id
    return None


def received(update: Update, data: dict[str, Any] | None = None) -> Received:
    """What the inbox keeps of an update: its id, its chat, and the update itself."""
    chat = update.effective_chat
    return Received(
        update_id=str(update.update_id),
        chat_id=str(chat.id) if chat is not None and is_id(chat.id) else None,
        payload=data if data is not None else update.to_dict(),
    )


def is_id(value: object) -> bool:
    """A Telegram id: an integer (not a bool) that fits in 64 bits."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
