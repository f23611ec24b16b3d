"""Menu items whose features are not built yet: say so honestly and offer what works."""

from __future__ import annotations

from bot.features import Feature
from bot.messages import Reply
from bot.routing import Router
from bot.turn import Turn
from handlers import texts


def placeholder(namespace: str, title: str) -> Feature:
    """A feature that answers its menu button with an honest "not yet"."""

    async def not_yet(turn: Turn) -> list[Reply]:
        return [texts.coming_soon(title)]

    def register(router: Router) -> None:
        router.payload(namespace, not_yet)

    return Feature(name=f"{namespace}-placeholder", register=register)
