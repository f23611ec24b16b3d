"""Generated bad requests for the web chat API and the Telegram webhook (seeded, repeatable).

Each generator yields `Request`s mixing the hand-written cases of tests/data/bad_inputs.yaml
with random mutations: broken JSON, deep nesting, wrong types, huge and hostile strings,
forged ids and payloads, wrong secrets.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CASES = yaml.safe_load((Path(__file__).parent / "data" / "bad_inputs.yaml").read_text("utf-8"))
HOSTILE = [
    "",
    " ",
    "\u0000",
    "\ud800",
    "\udfff\ud800",
    "\u202e",
    "\r\n" * 50,
    "😀" * 2000,
    "a" * 5000,
    "ă" * 1200,
    "'; DROP TABLE outbox; --",
    "%00%0a%0d",
    "${jndi:ldap://x}",
    "{{7*7}}",
    "../../../../etc/passwd",
    "<img src=x onerror=alert(1)>",
    *CASES["texts"],
]


@dataclass
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)


def _json(value: Any) -> bytes:
    # ensure_ascii keeps lone surrogates as \\ud800 escapes, the way a hostile client sends them.
    return json.dumps(value, ensure_ascii=True).encode()


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _random_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            None,
            True,
            0,
            -1,
            2**70,
            1.5e308,
            "",
            rng.choice(HOSTILE),
            [],
            {},
            [rng.choice(HOSTILE)],
            {"x": rng.choice(HOSTILE)},
        ]
    )


def _session_value(rng: random.Random, known: list[str]) -> Any:
    return rng.choice(
        [
            "",
            None,
            "short",
            "A" * 16,
            "A" * 64,
            "A" * 65,
            "ẵ" * 20,
            "../../x" * 3,
            rng.choice(known) if known else "",
            _random_value(rng),
        ]
    )


def web_requests(rng: random.Random, count: int, known: list[str]) -> Iterator[Request]:
    """Requests to /api/chat and /api/updates; `known` holds ids the server issued."""
    json_header = {"Content-Type": "application/json"}
    for _ in range(count):
        kind = rng.randrange(12)
        if kind == 0:
            yield Request("POST", "/api/chat", _nested(rng.choice([50, 1000, 5000])), json_header)
        elif kind == 1:
            raw = rng.choice([b"", b"{", b"[]", b"null", b'"x"', b"\xff\xfe\x00", b"{'a':1}"])
            yield Request("POST", "/api/chat", raw, json_header)
        elif kind == 2:
            body = _json({"session": "", "text": "hi"})
            content_type = rng.choice(["text/plain", "application/x-www-form-urlencoded", ""])
            yield Request("POST", "/api/chat", body, {"Content-Type": content_type})
        elif kind == 3:
            big = {"session": "", "text": "x" * rng.choice([5001, 20000, 40000])}
            yield Request("POST", "/api/chat", _json(big), json_header)
        elif kind == 4:
            fields: dict[str, Any] = {
                key: _random_value(rng)
                for key in rng.sample(["session", "text", "payload", "message_id", "extra"], 3)
            }
            yield Request("POST", "/api/chat", _json(fields), json_header)
        elif kind in (5, 6, 7):
            chosen = {"session": _session_value(rng, known), "payload": _payload(rng)}
            yield Request("POST", "/api/chat", _json(chosen), json_header)
        elif kind in (8, 9):
            typed = {
                "session": _session_value(rng, known),
                "text": rng.choice(HOSTILE),
                "message_id": rng.choice(["m1", "x" * 64, "y" * 65, "\u0000", "ẵ"]),
            }
            yield Request("POST", "/api/chat", _json(typed), json_header)
        elif kind == 10:
            value = _session_value(rng, known)
            params = {} if value is None else {"session": str(value)}
            yield Request("GET", "/api/updates", params=params)
        else:
            yield Request(rng.choice(["PUT", "DELETE", "GET"]), "/api/chat")


def _payload(rng: random.Random) -> str:
    base = str(rng.choice(CASES["payloads"] + ["topics:list", "signup:start", "menu:main"]))
    mutation = rng.randrange(5)
    if mutation == 0:
        return base + ":" + rng.choice(["²", "9" * 30, "-1", "\u0000", "ẵ"])
    if mutation == 1:
        return base * rng.randint(2, 40)
    return base


def webhook_requests(rng: random.Random, count: int, secret: str) -> Iterator[Request]:
    """Requests to the Telegram webhook: wrong secrets, broken bodies, odd update shapes."""
    path = "/telegram/webhook"
    for index in range(count):
        kind = rng.randrange(8)
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret, "Content-Type": "application/json"}
        if kind == 0:
            headers.pop("X-Telegram-Bot-Api-Secret-Token")
            if rng.random() < 0.5:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret[:-1] + "x"
            yield Request("POST", path, b"{}", headers)
        elif kind == 1:
            yield Request("POST", path, rng.choice([b"", b"[", _nested(5000), b"\xff"]), headers)
        elif kind == 2:
            yield Request("POST", path, _json({"update_id": _random_value(rng)}), headers)
        else:
            yield Request("POST", path, _json(_odd_update(rng, 900_000 + index)), headers)


def _odd_update(rng: random.Random, update_id: int) -> dict[str, Any]:
    chat_id = rng.choice([7_200_000_001, -1001234567890, 0, 2**62])
    chat = {"id": chat_id, "type": rng.choice(["private", "group", "supergroup", "channel"])}
    user = {"id": abs(chat_id) or 1, "is_bot": False, "first_name": rng.choice(HOSTILE) or "A"}
    message: dict[str, Any] = {"message_id": rng.randint(1, 10**9), "date": 1, "chat": chat}
    if rng.random() < 0.8:
        message["from"] = user
    choice = rng.randrange(4)
    if choice == 0:
        message["text"] = rng.choice(HOSTILE) or "x"
    elif choice == 1:
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "u",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    elif choice == 2:
        return {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "from": user,
                "chat_instance": "c",
                "data": _payload(rng)[:64],
                "message": {**message, "text": "…"},
            },
        }
    return {"update_id": update_id, "message": message}
