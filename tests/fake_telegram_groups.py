"""Group chats for the fake Bot API (tests/fake_telegram.py): supergroups with or without
forum topics, members, the bot's own rights, and Telegram's limit of messages per group.

https://core.telegram.org/bots/api#getchat, #getchatmember, #createforumtopic; the limit
of 20 messages a minute per group is https://core.telegram.org/bots/faq. The limit is off
unless a test sets `group_limit` (existing tests send freely).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 123456
# Methods that post a message in the chat (createForumTopic posts "topic created").
POSTING = ("sendMessage", "sendPhoto", "createForumTopic")


@dataclass
class FakeGroup:
    """One supergroup: who is in it, what the bot may do there."""

    chat_id: int
    title: str = "Tình nguyện viên xã"
    forum: bool = False
    members: dict[int, str] = field(default_factory=dict)  # user id -> first name
    bot_status: str = "administrator"  # "administrator", "member" or "left"
    can_manage_topics: bool = True
    topics: dict[int, str] = field(default_factory=dict)  # thread id -> name


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


class GroupChats:
    """The group part of FakeTelegram (a mixin: it shares the fake's message ids)."""

    _message_ids: dict[str, itertools.count[int]]
    # (messages, seconds): at most that many posting calls per group in any window.
    group_limit: tuple[int, float] | None

    def _init_groups(self) -> None:
        self.groups: dict[str, FakeGroup] = {}
        self.rate_limited: list[str] = []  # methods answered 429 because of group_limit
        self._posted: dict[str, deque[float]] = defaultdict(deque)

    def add_group(self, chat_id: int, **settings: Any) -> FakeGroup:
        group = FakeGroup(chat_id, **settings)
        self.groups[str(chat_id)] = group
        return group

    def chat_of(self, chat_id: str) -> dict[str, Any]:
        """The `chat` object of a message in this chat."""
        group = self.groups.get(str(chat_id))
        if group is None:
            return {"id": int(chat_id), "type": "private", "first_name": "Lan"}
        return {
            "id": group.chat_id,
            "type": "supergroup",
            "title": group.title,
            "is_forum": group.forum,
        }

    def thread_fields(self, chat_id: str, thread_id: Any) -> dict[str, Any]:
        """What a message in a forum topic carries."""
        group = self.groups.get(str(chat_id))
        if not thread_id or group is None or not group.forum:
            return {}
        return {"message_thread_id": int(thread_id), "is_topic_message": True}

    def over_group_limit(self, method: str, params: dict[str, Any]) -> web.Response | None:
        """429 when a posting call would exceed `group_limit` in its group."""
        chat_id = str(params.get("chat_id", ""))
        if self.group_limit is None or method not in POSTING or chat_id not in self.groups:
            return None
        count, window = self.group_limit
        now = time.monotonic()
        posted = self._posted[chat_id]
        while posted and posted[0] <= now - window:
            posted.popleft()
        if len(posted) >= count:
            self.rate_limited.append(method)
            wait = max(1, math.ceil(posted[0] + window - now))
            return _error(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        posted.append(now)
        return None

    def _group_or_error(self, params: dict[str, Any]) -> FakeGroup | web.Response:
        group = self.groups.get(str(params.get("chat_id")))
        if group is None:
            return _error(400, "Bad Request: chat not found")
        if group.bot_status == "left":
            return _error(403, "Forbidden: bot is not a member of the supergroup chat")
        return group

    def _api_getChat(self, params: dict[str, Any]) -> Any:
        group = self._group_or_error(params)
        if isinstance(group, web.Response):
            return group
        gifts = {
            name: False
            for name in (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            )
        }
        return {
            **self.chat_of(str(group.chat_id)),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _api_getChatMember(self, params: dict[str, Any]) -> Any:
        group = self._group_or_error(params)
        if isinstance(group, web.Response):
            return group
        user_id = int(params.get("user_id") or 0)
        if user_id == BOT_ID:
            user = {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý"}
            if group.bot_status == "administrator":
                return _administrator(user, group.can_manage_topics)
            return {"status": group.bot_status, "user": user}
        user = {"id": user_id, "is_bot": False, "first_name": group.members.get(user_id, "Ai")}
        return {"status": "member" if user_id in group.members else "left", "user": user}

    def _api_createForumTopic(self, params: dict[str, Any]) -> Any:
        group = self._group_or_error(params)
        if isinstance(group, web.Response):
            return group
        if not group.forum:
            return _error(400, "Bad Request: the chat is not a forum")
        if group.bot_status != "administrator" or not group.can_manage_topics:
            return _error(400, "Bad Request: not enough rights to create a topic")
        # The topic's id is the id of its "topic created" service message.
        thread_id = next(self._message_ids[str(group.chat_id)])
        group.topics[thread_id] = str(params.get("name", ""))
        return {"message_thread_id": thread_id, "name": group.topics[thread_id], "icon_color": 0}


def _administrator(user: dict[str, Any], can_manage_topics: bool) -> dict[str, Any]:
    rights = {
        name: True
        for name in (
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
            "can_pin_messages",
        )
    }
    return {
        "status": "administrator",
        "user": user,
        "can_be_edited": False,
        "is_anonymous": False,
        "can_promote_members": False,
        "can_manage_topics": can_manage_topics,
        **rights,
    }
