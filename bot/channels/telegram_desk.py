"""The volunteer desk on Telegram: a group (with topics or without) the bot administers.

Implements `bot.channels.base.GroupDesk` for the Telegram channel: the rights check, one
forum topic per ticket, editing the bot's own messages (a ticket's buttons), and membership.
Requests go through the channel's send gate, so they count against the group's limit of 20
messages a minute (https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this).
"""

from __future__ import annotations

import logging
import time

from telegram import Bot, ChatMemberAdministrator, ChatMemberRestricted
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.constants import ChatType as TelegramChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.channels import telegram_render as render
from bot.channels.base import GroupCheck, PermanentFailure
from bot.channels.telegram_delivery import NO_PREVIEW, Deliverer
from bot.messages import Reply
from bot.privacy import mask_id

logger = logging.getLogger(__name__)

# A confirmed member is not asked about again for this long (a claim is one tap; asking
# Telegram each time would spend its limits on the same answer).
MEMBER_CACHE_SECONDS = 600.0
_ACTIVE = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
_GROUPS = (TelegramChatType.GROUP, TelegramChatType.SUPERGROUP)


class TelegramDesk:
    """The GroupDesk operations, on the channel's bot and send gate."""

    def __init__(self, bot: Bot, delivery: Deliverer) -> None:
        self.bot = bot
        self.delivery = delivery
        self._checks: dict[str, GroupCheck] = {}
        self._members: dict[tuple[str, str], float] = {}

    async def check_group(self, chat_id: str) -> GroupCheck:
        """getChat and the bot's own getChatMember: a member, an admin, topic rights."""
        check = await self._check(chat_id)
        self._checks[chat_id] = check
        return check

    def last_check(self, chat_id: str) -> GroupCheck | None:
        return self._checks.get(chat_id)

    async def _check(self, chat_id: str) -> GroupCheck:
        try:
            chat = await self.bot.get_chat(chat_id)
            me = await self.bot.get_chat_member(chat_id, self.bot.id)
        except Forbidden as error:
            return GroupCheck(False, problem=f"the bot is not in the group ({error.message})")
        except BadRequest as error:
            return GroupCheck(False, problem=f"the group was not found ({error.message})")
        except TelegramError as error:  # network, 5xx: the next check may succeed
            return GroupCheck(False, problem=f"the group could not be checked ({error})")
        title = chat.title or ""
        if chat.type not in _GROUPS:
            return GroupCheck(False, problem="the chat is not a group", title=title)
        if me.status not in _ACTIVE:
            return GroupCheck(False, problem="the bot is not in the group", title=title)
        if me.status == ChatMemberStatus.MEMBER:
            # Without admin rights a bot in privacy mode does not see volunteers' answers.
            return GroupCheck(False, problem="the bot is not an administrator", title=title)
        forum = bool(chat.is_forum)
        may_open = me.status == ChatMemberStatus.OWNER or (
            isinstance(me, ChatMemberAdministrator) and bool(me.can_manage_topics)
        )
        if forum and not may_open:
            return GroupCheck(
                False, problem="the bot is an administrator without the topics right", title=title
            )
        return GroupCheck(True, topics=forum, title=title)

    async def open_topic(self, chat_id: str, title: str) -> str:
        """createForumTopic (it posts a message in the group, so it waits its turn)."""
        topic = await self.delivery.once(
            chat_id, lambda: self.bot.create_forum_topic(chat_id, title[:128])
        )
        return str(topic.message_thread_id)

    async def edit_message(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """editMessageText with the new keyboard (omitting it would remove the buttons)."""
        text = render.render(reply)[0].html  # a desk message fits in one Telegram message
        keyboard = render.keyboard_for(reply.buttons)
        try:
            await self.delivery.once(
                chat_id,
                lambda: self.bot.edit_message_text(
                    text,
                    chat_id=chat_id,
                    message_id=int(message_id),
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    link_preview_options=NO_PREVIEW,
                ),
            )
        except PermanentFailure as error:
            if "not modified" not in str(error).lower():  # else it shows this already
                raise

    async def is_member(self, chat_id: str, user_id: str) -> bool:
        """getChatMember, remembered for a while once confirmed."""
        key = (chat_id, user_id)
        confirmed = self._members.get(key)
        if confirmed is not None and time.monotonic() - confirmed < MEMBER_CACHE_SECONDS:
            return True
        try:
            member = await self.bot.get_chat_member(chat_id, int(user_id))
        except (TelegramError, ValueError) as error:
            logger.warning(
                "telegram: membership of %s in %s unknown: %s",
                mask_id(user_id),
                mask_id(chat_id),
                error,
            )
            return False
        active = member.status in _ACTIVE or (
            isinstance(member, ChatMemberRestricted) and member.is_member
        )
        if active:
            self._members[key] = time.monotonic()
        return active
