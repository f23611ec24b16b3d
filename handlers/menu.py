"""Welcome, main menu, help and the "ask a question" prompt."""

from __future__ import annotations

from bot.messages import Reply
from bot.routing import Router
from bot.turn import Turn
from handlers import texts


async def start(turn: Turn) -> list[Reply]:
    """/start without a deep link: greet and show the main menu."""
    turn.state.reset()
    return [texts.welcome()]


async def show_help(turn: Turn) -> list[Reply]:
    return [texts.help_text()]


async def menu_button(turn: Turn) -> list[Reply]:
    """Buttons of the `menu:` namespace."""
    action = (turn.payload or "").partition(":")[2]
    if action == "ask":
        return [texts.ask_prompt()]
    if action == "help":
        return [texts.help_text()]
    turn.state.reset()
    return [texts.main_menu()]


async def unsupported(turn: Turn) -> list[Reply]:
    """Stickers, photos, voice, files, locations..."""
    return [texts.unsupported_message()]


def register(router: Router) -> None:
    router.command("start", start, "Bắt đầu, xem menu chính")
    router.command("menu", texts.PAYLOAD_MENU, "Về menu chính")
    router.command("help", show_help, "Hướng dẫn sử dụng")
    router.command("trogiup", show_help)
    router.payload("menu", menu_button)
    router.intent(["menu", "menu chính", "về menu"], menu_button, exact=True)
    router.unsupported(unsupported)
