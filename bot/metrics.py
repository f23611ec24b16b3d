"""Prometheus metrics: `/metrics` on the bot's web server.

Counters and the turn-latency histogram are kept by each process; with `run --workers N`
prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by the supervisor) adds
the workers' values up at each scrape. What the database knows (outbox depth and age, open
tickets, campaign progress) is read at scrape time, so every worker reports the same totals.

Not public: with METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`;
without it only a direct connection from this machine is served (a request that came
through a reverse proxy carries X-Forwarded-For and is refused).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.context import AppContext
from storage.models import OutboxMessage, OutboxStatus, Ticket

# Only the values: the `_created` timestamp series double the output for nothing here.
disable_created_metrics()  # type: ignore[no-untyped-call]

UPDATES = Counter(
    "bot_updates",
    "Updates handled, by channel and route (the feature that answered)",
    ["channel", "route"],
)
TURN_SECONDS = Histogram(
    "bot_turn_seconds",
    "Time to handle one update, database work included, sending not included",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FAQ_OUTCOMES = Counter(
    "bot_faq_outcomes",
    "Questions the FAQ answered, suggested entries for, or could not",
    ["outcome"],
)
OUTBOX_SENDS = Counter(
    "bot_outbox_sends", "Outbox deliveries by channel and result", ["channel", "result"]
)
RATE_LIMITED = Counter(
    "bot_rate_limited", "Answers 429 (too many requests) from a platform", ["channel"]
)

# Statuses whose age says something: waiting to go out, or going out now.
_WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)


async def database_metrics(app: AppContext) -> list[Metric]:
    """Gauges read from the database: the same for every worker."""
    now = app.clock.now()
    depth = GaugeMetricFamily(
        "bot_outbox_messages",
        "Outbox messages by status, priority and kind (campaign.reminder: campaign progress)",
        labels=["status", "priority", "kind"],
    )
    oldest = GaugeMetricFamily(
        "bot_outbox_oldest_seconds",
        "Age of the oldest message waiting or being sent, by status and priority",
        labels=["status", "priority"],
    )
    tickets = GaugeMetricFamily(
        "bot_tickets", "Questions handed to volunteers, by status", labels=["status"]
    )
    async with app.open_db() as db:
        counts = await db.execute(
            select(
                OutboxMessage.status, OutboxMessage.priority, OutboxMessage.kind, func.count()
            ).group_by(OutboxMessage.status, OutboxMessage.priority, OutboxMessage.kind)
        )
        for status, priority, kind, count in counts.all():
            depth.add_metric([str(status), str(priority), str(kind)], int(count))
        ages = await db.execute(
            select(OutboxMessage.status, OutboxMessage.priority, func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status.in_(_WAITING))
            .group_by(OutboxMessage.status, OutboxMessage.priority)
        )
        for status, priority, created in ages.all():
            oldest.add_metric([str(status), str(priority)], _age(now, created))
        by_status = await db.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
        for ticket_status, count in by_status.all():
            tickets.add_metric([str(ticket_status)], int(count))
    return [depth, oldest, tickets]


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


class _Fixed(Collector):
    """Metrics gathered before the scrape (the database is read asynchronously)."""

    def __init__(self, metrics: Iterable[Metric]) -> None:
        self._metrics = list(metrics)

    def collect(self) -> Iterable[Metric]:
        return self._metrics


def process_metrics() -> bytes:
    """This process's counters, or every worker's added up in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def allowed(request: web.Request, token: str | None) -> bool:
    """A scrape with the token, or (no token set) straight from this machine."""
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:
        return False


def handler(app: AppContext) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The `/metrics` request handler."""
    token = app.settings.metrics_token.get_secret_value() if app.settings.metrics_token else None

    async def metrics(request: web.Request) -> web.Response:
        if not allowed(request, token):
            raise web.HTTPForbidden(text="forbidden\n")
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Fixed(await database_metrics(app)))
        body = process_metrics() + generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return metrics
