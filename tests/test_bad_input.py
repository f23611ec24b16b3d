"""Forged payloads and hostile text: a clear answer, never the apology, nothing logged as an error.

The cases are data (tests/data/bad_inputs.yaml): adding one is one line.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from bot.dispatcher import Dispatcher
from bot.messages import Incoming
from handlers import texts
from tests.signup_support import add_sessions, spec
from tests.support import Chat, joined

CASES = yaml.safe_load((Path(__file__).parent / "data" / "bad_inputs.yaml").read_text("utf-8"))


def _no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


@pytest.mark.parametrize("payload", CASES["payloads"])
async def test_forged_payload_is_treated_as_unknown(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture, payload: str
) -> None:
    await add_sessions(dispatcher.app, spec("a"))
    chat = Chat(dispatcher, "forger")
    await chat.say("đăng ký buổi hỗ trợ")  # inside a form too: forged buttons must not break it
    replies = await chat.press(payload)
    assert replies and texts.error_apology().text not in joined(replies)
    _no_errors(caplog)
    # The conversation still works afterwards.
    assert await chat.say("/start")


@pytest.mark.parametrize("text", CASES["texts"])
@pytest.mark.parametrize("numbered", [False, True])
async def test_hostile_text_gets_a_sensible_reply(
    dispatcher: Dispatcher, caplog: pytest.LogCaptureFixture, text: str, numbered: bool
) -> None:
    chat = Chat(dispatcher, "typist", numbered_buttons=numbered)
    await chat.say("/start")
    replies = await chat.say(text)
    assert replies and texts.error_apology().text not in joined(replies)
    _no_errors(caplog)


async def test_nul_in_a_form_answer_does_not_stop_the_sign_up(dispatcher: Dispatcher) -> None:
    """PostgreSQL refuses NUL in text; it is dropped at the boundary so the form finishes."""
    ids = await add_sessions(dispatcher.app, spec("a"))
    chat = Chat(dispatcher, "nul")
    await chat.say("đăng ký buổi hỗ trợ")
    await chat.press(f"signup:pick:{ids['a']}")
    await chat.press("signup:consent:yes")
    await chat.say("Nguyễn\u0000 Văn An")
    await chat.say("0912345678")
    await chat.say("cài VNeID\u0000 giúp tôi \ud800")
    replies = await chat.press("signup:confirm")
    assert "mã" in joined(replies).lower() and texts.error_apology().text not in joined(replies)


async def test_long_update_keys_fit_on_every_database(dispatcher: Dispatcher) -> None:
    """A 64-character chat id with a 64-character message id is longer than the key column."""
    chat_id = "A" * 64
    incoming = Incoming(
        "web", chat_id, chat_id, text="xin chào", message_id=f"{chat_id}:{'m' * 64}"
    )
    first = await dispatcher.handle(incoming)
    again = await dispatcher.handle(incoming)
    assert first and texts.error_apology().text not in joined(first)
    assert again == []  # the same message id is still recognised
