"""The bot plus two test features, run as `python -m tests.worker_bot run ...` by the
multi-worker tests (the supervisor starts each worker with this same module).

- `/seq <text>` answers "seq=<n> <text> pid=<worker>", n counting the chat's updates in its
  stored conversation: a lost update (two workers reading the same n) or a reordering shows
  in the replies.
- a job "tick" (every TICK_SECONDS) appends "<pid> <unix time>" to TICK_FILE.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from bot.cli import main
from bot.context import AppContext
from bot.features import Feature, Job, load_product
from bot.messages import Reply
from bot.routing import Router
from bot.turn import Turn


async def sequence(turn: Turn) -> list[Reply]:
    count = int(turn.state.data.get("seq", 0)) + 1
    turn.state.data["seq"] = count
    text = (turn.text or "").removeprefix("/seq").strip()
    return [Reply(f"seq={count} {text} pid={os.getpid()}")]


def register(router: Router) -> None:
    router.command("seq", sequence)


async def tick(app: AppContext) -> None:
    path = os.environ.get("TICK_FILE")
    if path:  # one short line: the loop can spare a blocking append
        await asyncio.to_thread(_append, Path(path), f"{os.getpid()} {time.time():.3f}\n")


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(line)


PRODUCT = load_product()
PRODUCT = replace(
    PRODUCT,
    features=(
        *PRODUCT.features,
        Feature(
            name="worker-test",
            register=register,
            jobs=(Job("tick", float(os.environ.get("TICK_SECONDS", "3600")), tick),),
        ),
    ),
)

if __name__ == "__main__":
    sys.exit(main(product=PRODUCT))
