"""The "typing…" indicator while the bot works on an answer (only when it takes a while)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from telegram.constants import ChatAction
from telegram.error import TelegramError

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

logger = logging.getLogger(__name__)


class Typing:
    """Shows "typing…" while the dispatcher works (after a short delay), until `stop()`."""

    def __init__(self, channel: TelegramChannel, chat_id: str) -> None:
        self._channel = channel
        self._chat_id = chat_id
        self._done = asyncio.Event()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        tuning = self._channel.tuning
        if await self._finished_within(tuning.typing_after_seconds):
            return
        while not self._channel.delivery.gate.paused:  # no extra calls during a 429 pause
            try:
                await self._channel.bot.send_chat_action(self._chat_id, ChatAction.TYPING)
            except TelegramError as error:
                logger.debug("telegram: chat action failed: %s", error)
                return
            if await self._finished_within(tuning.typing_refresh_seconds):
                return

    async def _finished_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._done.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._done.set()
        await self._task
