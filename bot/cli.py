"""Command-line entry point: `python -m bot <command>`."""

from __future__ import annotations

import argparse
import asyncio
import inspect
from collections.abc import Sequence

from bot import logs
from bot.commands import core, faq_commands, outbox_commands, sessions
from bot.config import Settings

COMMAND_MODULES = (core, faq_commands, sessions, outbox_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Citizen digital-skills assistant (National Digital Transformation Day).",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, read settings once, run the chosen command; returns the exit code."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    logs.configure(
        settings.log_level,
        settings.secret_values(),
        json_lines=settings.log_format.lower() == "json",
    )
    result = args.func(args, settings)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return int(result or 0)
