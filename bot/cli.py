"""Command-line entry point: `python -m bot <command>`."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import sys
from collections.abc import Sequence

from bot import logs
from bot.commands import core, outbox_commands, zalo_commands
from bot.commands.common import NoDatabase
from bot.config import Settings
from bot.features import Product, load_product
from storage.db import SchemaOutOfDate

# The core's own verbs; features add theirs (bot/features.py `Feature.cli`).
COMMAND_MODULES = (core, outbox_commands, zalo_commands)


def build_parser(product: Product) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Citizen digital-skills assistant (National Digital Transformation Day).",
    )
    parser.set_defaults(product=product)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    for feature in product.features:
        for add_commands in feature.cli:
            add_commands(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, product: Product | None = None) -> int:
    """Parse arguments, read settings once, run the chosen command; returns the exit code."""
    args = build_parser(product or load_product()).parse_args(argv)
    settings = Settings()
    logs.configure(
        settings.log_level,
        settings.secret_values(),
        json_lines=settings.log_format.lower() == "json",
    )
    try:
        result = args.func(args, settings)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
    except (NoDatabase, SchemaOutOfDate) as error:
        print(error, file=sys.stderr)
        return 1
    return int(result or 0)
