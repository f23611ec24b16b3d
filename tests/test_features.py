"""Features plug in without touching the core: the README's worked example, run for real."""

from __future__ import annotations

import argparse
import ast
import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.features import Feature, Job, Product
from bot.messages import Reply
from bot.routing import Router
from bot.runtime import running
from bot.turn import Turn
from handlers.registry import FEATURES
from handlers.texts import CORE_TEXTS
from tests.support import Chat, joined

ROOT = Path(__file__).resolve().parent.parent


def test_the_core_imports_no_feature() -> None:
    """`bot/` is given the features; it never imports `handlers/`."""
    offenders = []
    for path in (ROOT / "bot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("handlers")
            ]
    assert offenders == []


# --- the worked example of README "Adding a feature" -------------------------------------

job_runs: list[str] = []


async def greet(turn: Turn) -> list[Reply]:
    return [Reply("Xin chào! Đây là tính năng mẫu.")]


def register(router: Router) -> None:
    router.command("xinchao", greet, "Lời chào mẫu")


async def count_chats(app: AppContext) -> None:
    job_runs.append(type(app).__name__)


def add_commands(subparsers: Any) -> None:
    hello = subparsers.add_parser("hello", help="say hello (example feature)")

    def run(args: argparse.Namespace, settings: Settings) -> int:
        print("hello from the example feature")
        return 0

    hello.set_defaults(func=run)


hello = Feature(
    name="hello",
    register=register,
    jobs=(Job("count-chats", every=3600, run=count_chats),),
    cli=(add_commands,),
)
# In handlers/registry.py this is one more line in FEATURES.
PRODUCT = Product(features=(*FEATURES, hello), texts=CORE_TEXTS)


async def test_the_example_features_command_and_job_run(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    job_runs.clear()
    async with running(
        settings, clock, serve_web=False, knowledge=knowledge, product=PRODUCT
    ) as runtime:
        replies = await Chat(runtime.dispatcher, "visitor").say("/xinchao")
        for _ in range(100):  # the job's first run starts with the runtime
            if job_runs:
                break
            await asyncio.sleep(0.01)
    assert "tính năng mẫu" in joined(replies)
    assert job_runs == ["AppContext"]
    assert ("xinchao", "Lời chào mẫu") in runtime.dispatcher.router.described_commands()


def test_the_example_features_cli_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hello"], product=PRODUCT) == 0
    assert "hello from the example feature" in capsys.readouterr().out


def test_the_knowledge_base_knows_the_features_the_product_has() -> None:
    """`faq check` accepts exactly the bot features that exist (entries declare them)."""
    from faq.kb_model import KNOWN_FEATURES

    assert set(KNOWN_FEATURES) <= {feature.name for feature in FEATURES}
