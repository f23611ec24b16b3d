"""The form engine: steps, retry, back, cancel, finish, leaving by another button, timeout."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.forms import Answer, Finish, Form, Next, Outcome, Retry, Step
from bot.messages import Button, Reply
from bot.routing import Router
from bot.turn import Turn
from handlers import menu, texts
from handlers.texts import CORE_TEXTS, FORM_TEXTS
from tests.support import Chat, joined, payloads


def build_form() -> Form:
    async def ask_name(turn: Turn) -> list[Reply]:
        return [Reply("Tên?")]

    async def got_name(turn: Turn, answer: Answer) -> Outcome:
        if len(answer.text) < 2:
            return Retry((Reply("Tên ngắn quá"),))
        form.answers(turn)["name"] = answer.text
        return Next("color")

    async def ask_color(turn: Turn) -> list[Reply]:
        return [Reply("Màu?", (Button("Đỏ", "demo:color:red"), Button("Xanh", "demo:color:blue")))]

    async def got_color(turn: Turn, answer: Answer) -> Outcome:
        if answer.choice is None or not answer.choice.startswith("color:"):
            return Retry((Reply("Bấm nút nhé"),))
        name = form.answers(turn)["name"]
        return Finish((Reply(f"Xong: {name} thích {answer.choice.split(':')[1]}"),))

    form = Form(
        "demo", [Step("name", ask_name, got_name), Step("color", ask_color, got_color)], FORM_TEXTS
    )
    return form


def build_router(form: Form) -> Router:
    router = Router()
    menu.register(router)

    async def begin(turn: Turn) -> list[Reply]:
        return await form.start(turn)

    async def echo(turn: Turn) -> list[Reply]:
        return [Reply(f"echo {turn.text}")]

    async def expired(turn: Turn) -> list[Reply]:
        return [texts.form_expired()]

    router.command("demo", begin)
    # The flow states its own timeout and what to say when it passes.
    router.flow(
        "demo",
        form.handle,
        timeout=lambda settings: timedelta(hours=settings.form_timeout_hours),
        on_timeout=expired,
    )
    router.payload("demo", form.handle)
    router.fallback(echo)
    return router


async def test_full_form_with_retry_and_back(app: AppContext) -> None:
    chat = Chat(Dispatcher(app, build_router(build_form()), CORE_TEXTS))
    assert joined(await chat.say("/demo")) == "Tên?"
    retry = await chat.say("A")
    assert joined(retry) == "Tên ngắn quá"
    assert payloads(retry) == ["demo:cancel"]  # the engine keeps a way out on a retry too
    replies = await chat.say("An")
    assert "Màu?" in joined(replies)
    assert "demo:back" in payloads(replies) and "demo:cancel" in payloads(replies)
    assert "Tên?" in joined(await chat.press("demo:back"))
    await chat.say("Bình")
    retry = await chat.say("tím")
    assert joined(retry) == "Bấm nút nhé"
    assert payloads(retry) == ["demo:back", "demo:cancel"]
    assert joined(await chat.press("demo:color:blue")) == "Xong: Bình thích blue"
    assert joined(await chat.say("hello")) == "echo hello"  # the form is over


async def test_cancel_by_word_without_diacritics(app: AppContext) -> None:
    chat = Chat(Dispatcher(app, build_router(build_form()), CORE_TEXTS))
    await chat.say("/demo")
    assert await chat.say("HUỶ") == [texts.form_cancelled()]
    assert joined(await chat.say("An")) == "echo An"


async def test_another_menu_button_leaves_the_form(app: AppContext) -> None:
    chat = Chat(Dispatcher(app, build_router(build_form()), CORE_TEXTS))
    await chat.say("/demo")
    await chat.press(texts.PAYLOAD_MENU)
    assert joined(await chat.say("An")) == "echo An"


async def test_form_survives_restart_and_expires_when_abandoned(
    app: AppContext, clock: ManualClock
) -> None:
    form = build_form()
    chat = Chat(Dispatcher(app, build_router(form), CORE_TEXTS))
    await chat.say("/demo")
    await chat.say("An")
    restarted = Chat(Dispatcher(app, build_router(form), CORE_TEXTS))
    assert "Xong: An" in joined(await restarted.press("demo:color:red"))
    await restarted.say("/demo")
    clock.advance(timedelta(hours=app.settings.form_timeout_hours + 1))
    replies = await restarted.say("Châu")
    assert replies[0] == texts.form_expired()
    assert joined(replies[1:]) == "echo Châu"


async def test_answers_persist_when_consecutive_steps_show_the_same_buttons(
    app: AppContext,
) -> None:
    """Regression: nested answers mutated in place must still be written to the database."""

    def text_step(name: str, following: str | None) -> Step:
        async def ask(turn: Turn) -> list[Reply]:
            return [Reply(f"{name}?")]

        async def receive(turn: Turn, answer: Answer) -> Outcome:
            form.answers(turn)[name] = answer.text
            if following is None:
                return Finish((Reply(repr(sorted(form.answers(turn).items()))),))
            return Next(following)

        return Step(name, ask, receive)

    form = Form(
        "three", [text_step("a", "b"), text_step("b", "c"), text_step("c", None)], FORM_TEXTS
    )
    router = Router()

    async def begin(turn: Turn) -> list[Reply]:
        return await form.start(turn)

    router.command("three", begin)
    router.flow("three", form.handle)
    router.payload("three", form.handle)
    router.fallback(begin)
    chat = Chat(Dispatcher(app, router, CORE_TEXTS))
    await chat.say("/three")
    await chat.say("1")
    await chat.say("2")
    assert joined(await chat.say("3")) == "[('a', '1'), ('b', '2'), ('c', '3')]"
