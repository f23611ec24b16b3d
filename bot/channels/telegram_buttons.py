"""Telegram button presses: stop the spinner, remove a private chat's keyboard, and turn a
hashed payload back into the button's own."""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot as PtbBot
from telegram import CallbackQuery, Message
from telegram.error import BadRequest, TelegramError

from bot.channels import telegram_render as render
from bot.channels.telegram_inbound import CHANNEL
from bot.dispatcher import Dispatcher
from bot.messages import Incoming
from bot.privacy import mask_id

logger = logging.getLogger(__name__)


async def acknowledge(bot: PtbBot, query: CallbackQuery, *, remove_keyboard: bool) -> None:
    """Stop the button's spinner and, in a private chat, remove the keyboard so the
    choice is made once (in a group the feature decides what its buttons become)."""
    try:
        await query.answer()
    except TelegramError as error:  # too old (> ~15 s) or already answered
        logger.debug("telegram: answerCallbackQuery failed: %s", error)
    if not remove_keyboard:
        return
    message = query.message
    if message is None or not isinstance(message, Message) or message.reply_markup is None:
        return
    try:
        await bot.edit_message_reply_markup(message.chat.id, message.message_id, reply_markup=None)
    except BadRequest as error:  # "message is not modified": a double tap got there first
        logger.debug("telegram: keyboard not removed: %s", error.message)
    except TelegramError as error:
        logger.info("telegram: keyboard not removed: %s", error)


async def resolve_token(dispatcher: Dispatcher, incoming: Incoming) -> Incoming:
    """A hashed long payload: look it up among the buttons shown last in this chat."""
    assert incoming.payload is not None
    shown = await dispatcher.last_buttons(CHANNEL, incoming.chat_id)
    payload = render.resolve_token(incoming.payload, (b.payload for b in shown))
    if payload is None:
        # Stale button: the core treats an unknown payload like any stale one.
        logger.info("telegram: stale button token chat=%s", mask_id(incoming.chat_id))
        return incoming
    return replace(incoming, payload=payload)
