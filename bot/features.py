"""What a feature declares, in one place, and what the core is told to say.

A feature (handlers/<feature>/) brings its routes, background jobs, CLI verbs and its
personal-data source; the registry lists the features and the core texts; the runtime and
the CLI start what the registry lists. `bot/` never imports a feature by name.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.config import Settings
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import AppContext
    from bot.routing import Router
    from bot.turn import Turn

# `python -m bot <verb> ...`: a feature adds subcommands to the CLI's subparsers; each
# subcommand's `func(args, settings)` may be a coroutine function.
CliRegistrar = Callable[["argparse._SubParsersAction[Any]"], None]


@dataclass(frozen=True)
class Job:
    """A periodic background task: `run(app)` every `every` seconds (the first run at start)."""

    name: str
    every: float
    run: Callable[[AppContext], Awaitable[None]]
    # False: once per period across all workers (the period is claimed in the database).
    # True: every worker runs it for itself (e.g. writing what it counted in memory).
    every_worker: bool = False


@dataclass(frozen=True)
class WebPart:
    """A feature's own aiohttp application: mounted under `prefix` on the shared web server,
    or served alone on host:port when both are given (e.g. the dashboard on a private address)."""

    app: web.Application
    prefix: str
    host: str | None = None
    port: int | None = None

    @property
    def separate(self) -> bool:
        return self.host is not None and self.port is not None


@dataclass(frozen=True)
class PersonalData:
    """A feature's stored personal data: shown by "my data", removed by "delete my data"."""

    describe: Callable[[Turn], Awaitable[list[str]]]
    delete: Callable[[Turn], Awaitable[int]]


@dataclass(frozen=True)
class Feature:
    """Everything one feature brings; see README "Adding a feature"."""

    name: str
    register: Callable[[Router], None]
    jobs: tuple[Job, ...] = ()
    cli: tuple[CliRegistrar, ...] = ()
    personal_data: PersonalData | None = None
    # Whether this deployment offers it (e.g. volunteers need a volunteer group configured).
    available: Callable[[Settings], bool] = lambda settings: True
    # Run once at start-up, after the channels started (e.g. check the volunteer group and
    # say in the log what is wrong with it); a failure is logged, the bot still starts.
    on_start: Callable[[AppContext], Awaitable[None]] | None = None
    # Run once at a stop, after the jobs ended and before the database closes (e.g. write
    # what was counted in memory); a failure is logged.
    on_stop: Callable[[AppContext], Awaitable[None]] | None = None
    # Pages of its own (built once the app context exists); None from it: not served.
    web: Callable[[AppContext], WebPart | None] | None = None


@dataclass(frozen=True)
class CoreTexts:
    """What the core itself must say; the product (handlers/texts.py) provides it."""

    apology: Reply  # a handler failed
    empty: Reply  # a message without text
    too_long: Callable[[int], Reply]  # a message over the limit (the limit is given)
    slow_down: str  # the web API's polite 429 message
    goodbye: str  # the console chat ends


@dataclass(frozen=True)
class Product:
    """The features and texts the core runs (handlers/registry.py builds it)."""

    features: Sequence[Feature]
    texts: CoreTexts

    def available(self, settings: Settings) -> frozenset[str]:
        """Names of the features this deployment offers."""
        return frozenset(f.name for f in self.features if f.available(settings))


# The product `python -m bot` runs. Named, not imported: the core knows no feature.
DEFAULT_PRODUCT = "handlers.registry:PRODUCT"


def load_product(spec: str = DEFAULT_PRODUCT) -> Product:
    """The Product object at "module:attribute"."""
    module_name, _, attribute = spec.partition(":")
    product = getattr(importlib.import_module(module_name), attribute)
    if not isinstance(product, Product):
        raise TypeError(f"{spec} is not a Product")
    return product
