"""Log lines: one per record, secrets redacted, control characters escaped."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The root logger as `python -m bot` configures it, writing to a buffer."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    logs.configure("DEBUG", ["123456:SECRET-token-value", "webhook-secret-xyz"])
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    for existing in list(root.handlers):
        root.removeHandler(existing)
    for old in saved_handlers:
        root.addHandler(old)
    root.setLevel(saved_level)


def test_a_payload_with_a_newline_cannot_forge_a_line(captured: io.StringIO) -> None:
    payload = "x\n2026-10-10 08:00:00,000 CRITICAL bot: forged\r\x1b[2J"
    logging.getLogger("bot.test").info("payload=%s", payload)
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1 and "\\n2026-10-10" in lines[0] and "\\x1b" in lines[0]


def test_traceback_lines_are_indented_and_escaped(captured: io.StringIO) -> None:
    try:
        raise ValueError("bad\nCRITICAL forged")
    except ValueError:
        logging.getLogger("bot.test").exception("failed")
    first, *rest = captured.getvalue().splitlines()
    assert "ERROR bot.test: failed" in first
    assert rest and all(line.startswith("    ") for line in rest)


def test_secrets_and_token_shaped_strings_are_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("httpx.fake")
    log.warning("POST https://api.telegram.org/bot123456:SECRET-token-value/sendMessage")
    logging.getLogger("bot").info("secret=%s other=%s", "webhook-secret-xyz", "9876543:" + "A" * 35)
    text = captured.getvalue()
    assert "SECRET-token-value" not in text and "webhook-secret-xyz" not in text
    assert "A" * 35 not in text and text.count(logs.REDACTED) >= 3


def test_libraries_that_log_urls_are_held_at_warning(captured: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://example/bot1:x/getMe")
    logging.getLogger("telegram.ext").debug("Calling Bot API endpoint with chat_id=710000123")
    logging.getLogger("sqlalchemy.engine").info("INSERT ... [parameters: ('Nguyễn Văn An',)]")
    assert captured.getvalue() == ""


def test_json_lines_keep_one_record_per_line() -> None:
    formatter = logs.JsonFormatter(logs.Redactor(["topsecret-1"]))
    record = logging.LogRecord("bot", logging.INFO, __file__, 1, "a\nb %s", ("topsecret-1",), None)
    line = formatter.format(record)
    assert "\n" not in line and json.loads(line)["msg"] == f"a\nb {logs.REDACTED}"


def test_a_flood_of_accept_errors_is_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Out of file descriptors, asyncio reports every failed accept(); we say it once."""
    throttle = logs.AcceptErrorThrottle(every_seconds=3600)
    loop = asyncio.new_event_loop()
    try:
        for _ in range(1000):
            throttle(
                loop,
                {
                    "message": "socket.accept() out of system resource",
                    "exception": OSError(24, "Too many open files"),
                },
            )
    finally:
        loop.close()
    lines = [r for r in caplog.records if "cannot accept connections" in r.getMessage()]
    assert len(lines) == 1
