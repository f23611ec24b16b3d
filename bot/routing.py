"""Routes from an update to a feature handler.

Order: group chats (their own route, else ignored), unreadable messages, commands, button
payloads, the active flow, text intents, then the fallback (the FAQ). A command or a
button of another feature leaves the active flow; a flow may keep some of them for itself
(`keeps`), as a conversation held by a volunteer keeps everything but a few exits.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta

from bot.config import Settings
from bot.messages import ChatType, Incoming, Reply
from bot.state import ConversationState
from bot.turn import Turn
from faq.normalize import normalize

Handler = Callable[[Turn], Awaitable[list[Reply]]]
# Runs after the handler of every private-chat turn with its replies; returns replies to add.
AfterTurn = Callable[[Turn, list[Reply]], Awaitable[list[Reply]]]

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


@dataclass(frozen=True)
class Flow:
    """A multi-turn flow: its handler, how long it may sit idle, and what happens then.

    `timeout(settings)` None means the flow never expires by itself (a subscription choice
    or a conversation held by a volunteer set their own rules). `on_timeout` runs when the
    person writes after the timeout; it returns what to say and leaves the state reset.
    `exits` are commands and payload namespaces that may leave the flow; with
    `exits_only`, nothing else leaves it (everything else goes to the flow's handler).
    `on_exit` runs when a command or another feature's button leaves the flow, before that
    route's handler (a conversation held by a volunteer closes its ticket); it returns what
    to say first. With `media`, pictures and other non-text messages go to the flow too
    (a screenshot for a volunteer) instead of the polite "text only" reply.
    """

    name: str
    handler: Handler
    timeout: Callable[[Settings], timedelta | None] = lambda settings: None
    on_timeout: Handler | None = None
    exits_only: bool = False
    exits: frozenset[str] = frozenset()
    on_exit: Handler | None = None
    media: bool = False


@dataclass(frozen=True)
class Route:
    """The chosen handler, its name (for logs) and whether it ends the active flow."""

    name: str
    handler: Handler
    leaves_flow: bool


def namespace_of(payload: str) -> str:
    """'signup:pick:12' -> 'signup'."""
    return payload.split(":", 1)[0]


def parse_command(text: str) -> tuple[str, str] | None:
    """'/start dangky' -> ('start', 'dangky'); None when the text is not a command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return match.group(1).lower(), (match.group(2) or "").strip()


class Router:
    """Feature modules register here; the dispatcher asks it where an update goes."""

    def __init__(self) -> None:
        self._commands: dict[str, Handler | str] = {}
        self._descriptions: dict[str, str] = {}
        self._payloads: dict[str, Handler] = {}
        self._flows: dict[str, Flow] = {}
        self._group: Handler | None = None
        self._deep_links: dict[str, str] = {}
        self._intents: list[tuple[str, Callable[[str, str], bool], Handler]] = []
        self._fallback: Handler | None = None
        self._unsupported: Handler | None = None
        self._after: list[AfterTurn] = []

    def command(self, name: str, target: Handler | str, description: str | None = None) -> None:
        """`/name`: a handler or an alias of a button payload; described ones are advertised."""
        self._commands[name.lower()] = target
        if description:
            self._descriptions[name.lower()] = description

    def described_commands(self) -> list[tuple[str, str]]:
        """(name, Vietnamese description) of the commands to list in a platform's menu."""
        return list(self._descriptions.items())

    def payload(self, namespace: str, handler: Handler) -> None:
        """Buttons whose payload starts with `namespace:`."""
        self._payloads[namespace] = handler

    def flow(
        self,
        name: str,
        handler: Handler,
        *,
        timeout: Callable[[Settings], timedelta | None] = lambda settings: None,
        on_timeout: Handler | None = None,
        exits_only: Iterable[str] | None = None,
        on_exit: Handler | None = None,
        media: bool = False,
    ) -> None:
        """What is typed (and its own buttons) while the conversation is in flow `name`."""
        self._flows[name] = Flow(
            name,
            handler,
            timeout,
            on_timeout,
            exits_only=exits_only is not None,
            exits=frozenset(exits_only or ()),
            on_exit=on_exit,
            media=media,
        )

    def flows(self) -> list[Flow]:
        return list(self._flows.values())

    def flow_named(self, name: str | None) -> Flow | None:
        return self._flows.get(name or "")

    def group(self, handler: Handler) -> None:
        """Messages from group chats (the volunteer desk); without it they are ignored."""
        self._group = handler

    def after_turn(self, hook: AfterTurn) -> None:
        """Run `hook` after every private-chat turn (e.g. offer help after two questions the
        FAQ could not answer, told by `Turn.unanswered`); its replies come last."""
        self._after.append(hook)

    def after_turn_hooks(self) -> list[AfterTurn]:
        return list(self._after)

    def deep_link(self, name: str, payload: str) -> None:
        """`/start name` (a Telegram deep link) acts like pressing `payload`."""
        self._deep_links[name.lower()] = payload

    def intent(self, phrases: Iterable[str], handler: Handler, *, exact: bool = False) -> None:
        """Free text containing (or, with `exact`, equal to) one of `phrases`, normalized."""
        for phrase in phrases:
            padded = f" {normalize(phrase)} "

            def matches(text: str, normalized: str, padded: str = padded) -> bool:
                return normalized == padded if exact else padded in normalized

            self._intents.append((padded.strip(), matches, handler))

    def text_rule(self, name: str, test: Callable[[str], bool], handler: Handler) -> None:
        """Free text for which `test(raw_text)` holds (e.g. "hủy ABC234"), in intent order."""
        self._intents.append((name, lambda text, _normalized: test(text), handler))

    def fallback(self, handler: Handler) -> None:
        self._fallback = handler

    def unsupported(self, handler: Handler) -> None:
        self._unsupported = handler

    def deep_link_payload(self, name: str) -> str | None:
        return self._deep_links.get(name.lower())

    def known_payload(self, payload: str) -> bool:
        return namespace_of(payload) in self._payloads

    def resolve(self, incoming: Incoming, state: ConversationState) -> tuple[Route, Incoming]:
        """Pick the route; may rewrite the update (a command alias becomes a button press)."""
        if incoming.chat_type != ChatType.PRIVATE:
            return Route("group", self._group or _ignore, False), incoming
        held = self._flows.get(state.flow or "")
        if held is not None and held.exits_only and not self._exits(held, incoming):
            return Route(f"flow:{held.name}", held.handler, False), incoming
        if incoming.kind != "text" and incoming.payload is None:
            if held is not None and held.media:
                return Route(f"flow:{held.name}", held.handler, False), incoming
            assert self._unsupported is not None
            return Route("unsupported", self._unsupported, False), incoming
        if incoming.payload is None and incoming.text:
            command = parse_command(incoming.text)
            if command is not None:
                return self._resolve_command(incoming, state, *command)
        if incoming.payload is not None:
            namespace = namespace_of(incoming.payload)
            if state.flow is not None and namespace == state.flow and namespace in self._flows:
                return Route(f"flow:{namespace}", self._flows[namespace].handler, False), incoming
            handler = self._payloads.get(namespace)
            if handler is not None:
                return Route(f"payload:{namespace}", handler, state.flow is not None), incoming
            assert self._fallback is not None
            # A stale or forged payload: treat it like unknown text, keep the flow.
            return Route("fallback", self._fallback, False), _as_text(incoming, "")
        if state.flow is not None and state.flow in self._flows:
            return Route(f"flow:{state.flow}", self._flows[state.flow].handler, False), incoming
        text = incoming.text or ""
        padded = f" {normalize(text)} "
        for name, matches, handler in self._intents:
            if matches(text, padded):
                return Route(f"intent:{name}", handler, False), incoming
        assert self._fallback is not None
        return Route("fallback", self._fallback, False), incoming

    def _resolve_command(
        self, incoming: Incoming, state: ConversationState, name: str, argument: str
    ) -> tuple[Route, Incoming]:
        if name == "start" and argument:
            payload = self.deep_link_payload(argument)
            if payload is not None:
                return self.resolve(_as_payload(incoming, payload), state)
        target = self._commands.get(name)
        if isinstance(target, str):
            return self.resolve(_as_payload(incoming, target), state)
        if target is not None:
            return Route(f"command:{name}", target, state.flow is not None), incoming
        assert self._fallback is not None
        return Route("fallback", self._fallback, False), incoming

    def _exits(self, flow: Flow, incoming: Incoming) -> bool:
        """Whether this update is one of the few that may leave an `exits_only` flow."""
        if incoming.payload is not None:
            return namespace_of(incoming.payload) in flow.exits or incoming.payload in flow.exits
        command = parse_command(incoming.text or "") if incoming.text else None
        if command is not None:
            target = self._commands.get(command[0])
            alias = target if isinstance(target, str) else None
            return f"/{command[0]}" in flow.exits or (alias is not None and alias in flow.exits)
        return False


async def _ignore(turn: Turn) -> list[Reply]:
    """Group chats without a group route: the bot stays silent."""
    return []


def _as_payload(incoming: Incoming, payload: str) -> Incoming:
    return replace(incoming, text=None, payload=payload, kind="text")


def _as_text(incoming: Incoming, text: str) -> Incoming:
    return replace(incoming, text=text, payload=None, kind="text")
