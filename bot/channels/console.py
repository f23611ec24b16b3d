"""Console channel: chat with the bot in a terminal; buttons become a numbered list."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.channels.base import OnWire, Sent, go_on_wire
from bot.dispatcher import Dispatcher
from bot.messages import Incoming, Reply
from faq.normalize import strip_diacritics

CONSOLE_CHAT_ID = "console"
# Compared without diacritics: "thoát", "Thoat", "/exit" all end the chat.
QUIT_WORDS = frozenset({"thoat", "exit", "quit", "/thoat", "/exit", "/quit"})


def render(reply: Reply) -> str:
    """Text followed by the buttons as '  1. label' lines."""
    lines = [reply.text]
    lines += [f"{link.label} {link.url}".rstrip() for link in reply.links]
    lines += [f"  {i}. {button.label}" for i, button in enumerate(reply.buttons, start=1)]
    return "\n".join(lines)


class ConsoleChannel:
    """One citizen at a terminal; typing a number presses that button."""

    name = "console"

    def __init__(self, goodbye: str, out: TextIO = sys.stdout) -> None:
        self._goodbye = goodbye
        self._out = out

    async def start(self) -> None:
        """Nothing to start."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        await go_on_wire(on_wire)
        self.show([reply])
        return Sent()

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            print("\n🤖 " + render(reply), file=self._out, flush=True)

    async def chat(self, dispatcher: Dispatcher, source: TextIO = sys.stdin) -> None:
        """Read lines until end of input (Ctrl+D) or a quit word, answering each."""
        loop = asyncio.get_running_loop()
        self.show(await dispatcher.handle(self._incoming("/start")))
        while True:
            print("\n👤 ", end="", file=self._out, flush=True)
            line = await loop.run_in_executor(None, source.readline)
            if not line or strip_diacritics(line.strip()) in QUIT_WORDS:
                print("\n" + self._goodbye, file=self._out, flush=True)
                return
            self.show(await dispatcher.handle(self._incoming(line.rstrip("\n"))))

    def _incoming(self, text: str) -> Incoming:
        return Incoming(
            channel=self.name,
            chat_id=CONSOLE_CHAT_ID,
            user_id=CONSOLE_CHAT_ID,
            text=text,
            numbered_buttons=True,
        )
