"""Multi-step forms on top of the stored conversation state.

A form is a list of named steps. Each step asks (returns replies) and then receives the
citizen's answer, deciding to move on, ask again, or finish. The engine keeps the trail of
steps for "back", handles "cancel", and adds those two buttons to every question.
Answers live in `turn.state.data["answers"]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from bot.messages import Button, Reply
from bot.turn import Turn
from faq.normalize import normalize

BACK_WORDS = frozenset({"quay lai", "tro lai", "lui lai", "back"})
CANCEL_WORDS = frozenset({"huy", "huy bo", "thoi", "dung lai", "cancel", "menu", "thoat"})


@dataclass(frozen=True)
class FormTexts:
    """What the engine says; the feature that builds a form gives it its texts."""

    back: str  # label of the "back" button
    cancel: str  # label of the "cancel" button
    cancelled: Reply
    at_first_step: Reply


@dataclass(frozen=True)
class Answer:
    """What the citizen sent at a step: typed text or the rest of a button payload."""

    text: str
    choice: str | None  # "x:y" for a button payload "form:x:y"; None for typed text


@dataclass(frozen=True)
class Next:
    """Go on to `step`, optionally saying something first."""

    step: str
    notes: tuple[Reply, ...] = ()


@dataclass(frozen=True)
class Retry:
    """Stay at this step and say why (e.g. an invalid phone number); the engine adds the
    back and cancel buttons, as it does to every question."""

    replies: tuple[Reply, ...]


@dataclass(frozen=True)
class Finish:
    """The form is over (done, declined...); the state is cleared."""

    replies: tuple[Reply, ...] = field(default=())


Outcome = Next | Retry | Finish
AskFn = Callable[[Turn], Awaitable[list[Reply]]]
ReceiveFn = Callable[[Turn, Answer], Awaitable[Outcome]]


@dataclass(frozen=True)
class Step:
    name: str
    ask: AskFn
    receive: ReceiveFn
    can_go_back: bool = True


class Form:
    """A named sequence of steps; register `form.handle` as the flow handler."""

    def __init__(
        self, name: str, steps: list[Step], texts: FormTexts, on_cancel: AskFn | None = None
    ) -> None:
        self.name = name
        self.steps = {step.name: step for step in steps}
        self.first = steps[0].name
        self.texts = texts
        self._on_cancel = on_cancel

    def answers(self, turn: Turn) -> dict[str, Any]:
        """The answers collected so far (mutable)."""
        answers: dict[str, Any] = turn.state.data.setdefault("answers", {})
        return answers

    async def start(self, turn: Turn, answers: dict[str, Any] | None = None) -> list[Reply]:
        """Enter the form at its first step."""
        turn.state.enter(self.name, self.first, {"answers": dict(answers or {}), "trail": []})
        return await self._ask(turn, self.first)

    async def start_at(self, turn: Turn, step: str, answers: dict[str, Any]) -> list[Reply]:
        """Enter the form at a later step with some answers already known."""
        turn.state.enter(self.name, step, {"answers": dict(answers), "trail": []})
        return await self._ask(turn, step)

    async def handle(self, turn: Turn) -> list[Reply]:
        """Flow handler: route back/cancel, else give the answer to the current step."""
        step = self.steps.get(turn.state.step or "")
        if step is None:
            return await self.start(turn)
        choice = self._choice(turn)
        said = normalize(turn.text) if choice is None else ""
        if choice == "back" or said in BACK_WORDS:
            return await self._back(turn)
        if choice == "cancel" or said in CANCEL_WORDS:
            turn.state.reset()
            if self._on_cancel is not None:
                return await self._on_cancel(turn)
            return [self.texts.cancelled]
        if choice == "ask":
            return await self._ask(turn, step.name)
        outcome = await step.receive(turn, Answer(text=turn.text, choice=choice))
        if isinstance(outcome, Retry):
            return self._with_controls(turn, step, list(outcome.replies))
        if isinstance(outcome, Finish):
            turn.state.reset()
            return list(outcome.replies)
        trail: list[str] = turn.state.data.setdefault("trail", [])
        trail.append(step.name)
        return list(outcome.notes) + await self._ask(turn, outcome.step)

    async def _back(self, turn: Turn) -> list[Reply]:
        trail: list[str] = turn.state.data.setdefault("trail", [])
        if not trail:
            current = turn.state.step or self.first
            return [self.texts.at_first_step, *await self._ask(turn, current)]
        previous = trail.pop()
        return await self._ask(turn, previous)

    async def _ask(self, turn: Turn, step_name: str) -> list[Reply]:
        turn.state.step = step_name
        step = self.steps[step_name]
        return self._with_controls(turn, step, await step.ask(turn))

    def _with_controls(self, turn: Turn, step: Step, replies: list[Reply]) -> list[Reply]:
        """Add "back" (when there is a step to go back to) and "cancel" to the last reply."""
        if not replies:
            return replies
        controls = []
        if turn.state.data.get("trail") and step.can_go_back:
            controls.append(Button(self.texts.back, f"{self.name}:back"))
        controls.append(Button(self.texts.cancel, f"{self.name}:cancel"))
        last = replies[-1]
        return [*replies[:-1], Reply(last.text, last.buttons + tuple(controls))]

    def _choice(self, turn: Turn) -> str | None:
        payload = turn.payload
        if payload is None or not payload.startswith(self.name + ":"):
            return None
        return payload[len(self.name) + 1 :]
