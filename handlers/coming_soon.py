"""Menu items whose features are not built yet: say so honestly and offer what works."""

from __future__ import annotations

from bot.messages import Reply
from bot.routing import Router
from bot.turn import Turn
from handlers import texts

FEATURE_NAMES = {
    "signup": "Đăng ký buổi hỗ trợ",
    "reminders": "Nhắc lịch 1–10/10",
    "volunteer": "Gặp tình nguyện viên",
}


def _placeholder(feature: str) -> Reply:
    return texts.coming_soon(FEATURE_NAMES[feature])


def register(router: Router, features: tuple[str, ...]) -> None:
    """Register a placeholder for each named feature that has no module yet."""
    for feature in features:

        async def handler(turn: Turn, feature: str = feature) -> list[Reply]:
            return [_placeholder(feature)]

        router.payload(feature, handler)
