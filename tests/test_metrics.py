"""/metrics and /readyz of one process: what a scrape sees after a few turns, who may scrape,
and when a worker says it is ready."""

from __future__ import annotations

from types import SimpleNamespace

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from sqlalchemy import text

from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.metrics import allowed
from bot.webserver import build_web_app
from storage import outbox
from tests.test_workers import sum_samples


async def chat(client: TestClient, text: str, session: str | None = None) -> str:
    body = {"text": text, **({"session": session} if session else {})}
    response = await client.post("/api/chat", json=body)
    assert response.status == 200
    return str((await response.json())["session"])


async def test_a_scrape_counts_the_turns_faq_outcomes_and_the_outbox(
    web_client: TestClient, app: AppContext
) -> None:
    before = await (await web_client.get("/metrics")).text()
    session = await chat(web_client, "quên mật khẩu vneid thì làm sao")
    await chat(web_client, "xyzzy qwerty plugh", session)
    await chat(web_client, "   ", session)
    async with app.transaction() as db:
        await outbox.enqueue(
            db,
            outbox.Message(channel="fake", chat_id="1", reply={"text": "x"}, kind="test.kind"),
            app.clock.now(),
        )
    response = await web_client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    text = await response.text()

    def grew(name: str, **labels: str) -> float:
        return sum_samples(text, name, **labels) - sum_samples(before, name, **labels)

    assert grew("bot_updates_total", channel="web") == 3
    assert grew("bot_updates_total", channel="web", route="empty") == 1
    assert grew("bot_turn_seconds_count", channel="web") == 3
    assert grew("bot_faq_outcomes_total", outcome="answer") == 1
    assert grew("bot_faq_outcomes_total", outcome="fallback") == 1
    assert sum_samples(text, "bot_outbox_messages", status="pending", kind="test.kind") == 1
    assert sum_samples(text, "bot_outbox_oldest_seconds", status="pending") >= 0
    assert "quên" not in text and session not in text  # no message or id in the metrics


async def test_metrics_are_not_public(
    app: AppContext, dispatcher: Dispatcher, settings: Settings
) -> None:
    async with TestClient(TestServer(build_web_app(app, []))) as client:
        direct = await client.get("/metrics")
        proxied = await client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert direct.status == 200  # the test client connects from 127.0.0.1
    assert proxied.status == 403  # came through the reverse proxy: the public


async def test_with_a_token_only_a_scrape_that_sends_it_is_served(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    configured = app.settings.model_copy(
        update={"metrics_token": SecretStr("s3cret-metrics-token")}
    )
    app.settings = configured
    async with TestClient(TestServer(build_web_app(app, []))) as client:
        without = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer s3cret-metrics-token"}
        )
    assert (without.status, wrong.status, right.status) == (403, 403, 200)


async def test_readyz_says_ready_only_when_started_and_on_the_current_schema(
    app: AppContext, settings: Settings
) -> None:
    async with TestClient(TestServer(build_web_app(app, []))) as client:
        assert (await client.get("/readyz")).status == 503  # not started (app.ready unset)
        app.ready = True
        response = await client.get("/readyz")
        assert response.status == 200 and (await response.json())["status"] == "ready"
        async with app.transaction() as db:  # as if the database were from another version
            await db.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        response = await client.get("/readyz")
        assert response.status == 503
        assert "schema at 0006" in (await response.json())["problems"][0]
        assert (await client.get("/healthz")).status == 200  # alive all the same


def test_an_address_that_is_not_an_ip_is_refused() -> None:
    request = SimpleNamespace(headers={}, remote="unix-socket")
    assert allowed(request, None) is False  # type: ignore[arg-type]
