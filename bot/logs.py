"""Logging set-up: one line per record, no secrets, no raw control characters from users.

- Control characters in a message (a payload with a newline could forge a whole log line)
  are escaped; traceback lines are indented, so nothing a user sends starts a line.
- Known secrets (bot tokens, webhook secrets) and anything shaped like a Bot API token in
  a URL are replaced, whatever logger the record comes from (HTTP libraries log URLs).
- Libraries that log request URLs or parameters (httpx, httpcore, python-telegram-bot,
  SQLAlchemy) are held at WARNING whatever LOG_LEVEL says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import Iterable
from typing import Any

from aiohttp.http_exceptions import HttpProcessingError

LIBRARY_LOGGERS = ("httpx", "httpcore", "telegram", "sqlalchemy", "aiosqlite", "asyncpg")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# "/bot123456:AA...xyz/sendMessage" and bare "123456:AA..." Telegram-shaped tokens.
_TOKEN_IN_URL = re.compile(r"/bot[^/\s\"']+")
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
REDACTED = "[redacted]"
ACCEPT_ERROR_EVERY_SECONDS = 60.0


def escape_controls(text: str) -> str:
    """'a\\nb' -> 'a\\\\nb': control characters as visible escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


# Set by `run --workers N` for each worker: its lines say which worker wrote them.
_WORKER = (
    os.environ.get("BOT_WORKER_INDEX") if os.environ.get("BOT_WORKER_INDEX", "").isdigit() else None
)


class Redactor:
    """Replaces configured secrets and token-shaped strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _TOKEN_IN_URL.sub("/bot" + REDACTED, text)
        return _TOKEN_SHAPE.sub(REDACTED, text)


class SafeFormatter(logging.Formatter):
    """Text lines: escaped message, indented traceback, secrets redacted."""

    def __init__(self, redact: Redactor, fmt: str | None = None) -> None:
        worker = f" [w{_WORKER}]" if _WORKER is not None else ""
        super().__init__(fmt or f"%(asctime)s %(levelname)s{worker} %(name)s: %(message)s")
        self._redact = redact

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        head, _, tail = super().format(record).partition("\n")
        if tail:
            tail = "\n".join("    " + escape_controls(line) for line in tail.split("\n"))
            head = f"{head}\n{tail}"
        return self._redact(head)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (LOG_FORMAT=json), with the same redaction."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if _WORKER is not None:
            entry["worker"] = int(_WORKER)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        # json.dumps escapes every control character, so one record stays one line.
        return self._redact(json.dumps(entry, ensure_ascii=False))


class ClientErrorsAsInfo(logging.Filter):
    """aiohttp logs a malformed HTTP request (a 4xx it answers itself) as an ERROR with a
    traceback that quotes the request line; one INFO line without the request is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError) and 400 <= (error.code or 0) < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "malformed HTTP request refused: %s", (type(error).__name__,)
            record.exc_info = record.exc_text = None
        return True


def configure(level: str, secrets: Iterable[str] = (), *, json_lines: bool = False) -> None:
    """Install the root handler (stderr) with safe formatting; call once at start-up."""
    redact = Redactor(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(redact) if json_lines else SafeFormatter(redact))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    # Alembic announces every schema check at INFO; only its problems matter in our logs.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    logging.getLogger("aiohttp.server").addFilter(ClientErrorsAsInfo())


class AcceptErrorThrottle:
    """An event-loop exception handler that logs a flood of accept() errors (too many open
    files under a connection flood) once per interval instead of once per attempt."""

    def __init__(self, every_seconds: float = ACCEPT_ERROR_EVERY_SECONDS) -> None:
        self._every = every_seconds
        self._last = -float("inf")
        self._suppressed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if not str(context.get("message", "")).startswith("socket.accept() out of system"):
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < self._every:
            self._suppressed += 1
            return
        logging.getLogger("bot.webserver").error(
            "cannot accept connections: %s (%d similar errors since the last report)",
            context.get("exception"),
            self._suppressed,
        )
        self._last, self._suppressed = now, 0
