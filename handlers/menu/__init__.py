"""Welcome, main menu, help and the "ask a question" prompt."""

from __future__ import annotations

from bot.features import Feature
from bot.messages import Reply
from bot.routing import Router
from bot.turn import Turn
from handlers import texts as common


async def start(turn: Turn) -> list[Reply]:
    """/start without a deep link: greet and show the main menu."""
    turn.state.reset()
    return [common.welcome()]


async def show_help(turn: Turn) -> list[Reply]:
    return [common.help_text()]


async def menu_button(turn: Turn) -> list[Reply]:
    """Buttons of the `menu:` namespace."""
    match (turn.payload or "").split(":")[1:]:
        case ["ask"]:
            return [common.ask_prompt()]
        case ["help"]:
            return [common.help_text()]
    turn.state.reset()
    return [common.main_menu()]


async def unsupported(turn: Turn) -> list[Reply]:
    """Stickers, photos, voice, files, locations..."""
    return [common.unsupported_message()]


def register(router: Router) -> None:
    router.command("start", start, "Bắt đầu, xem menu chính")
    router.command("menu", common.PAYLOAD_MENU, "Về menu chính")
    router.command("help", show_help, "Hướng dẫn sử dụng")
    router.command("trogiup", show_help)
    router.payload("menu", menu_button)
    router.intent(["menu", "menu chính", "về menu"], menu_button, exact=True)
    router.unsupported(unsupported)


feature = Feature(name="menu", register=register)
