"""The web chat API contract, its error cases, and the health check."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.context import AppContext
from bot.messages import Reply
from handlers import texts


@pytest.fixture
def client(web_client: TestClient) -> TestClient:
    return web_client


async def chat(client: TestClient, **body: object) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/chat", json=body)
    return response.status, await response.json()


async def test_contract_new_session_text_and_payload(client: TestClient) -> None:
    status, data = await chat(client, session="", text="/start")
    assert status == 200
    session = data["session"]
    assert isinstance(session, str) and len(session) >= 16
    replies = data["replies"]
    assert isinstance(replies, list) and replies
    first = replies[0]
    assert set(first) == {"text", "buttons"}
    assert all(set(b) == {"label", "payload"} for b in first["buttons"])
    status, data = await chat(client, session=session, payload=texts.PAYLOAD_TOPICS)
    assert status == 200 and data["session"] == session
    assert any(b["payload"].startswith("topics:") for b in data["replies"][0]["buttons"])


async def test_same_message_id_is_answered_once(client: TestClient) -> None:
    _, data = await chat(client, session="", text="/start")
    session = data["session"]
    _, first = await chat(client, session=session, text="xin chào", message_id="abc")
    _, second = await chat(client, session=session, text="xin chào", message_id="abc")
    assert first["replies"] and second["replies"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"session": "", "text": "a", "payload": "b"},
        {"session": ""},
        {"session": "", "text": 5},
        {"session": "<script>", "text": "hi"},
        {"session": 12, "text": "hi"},
        {"session": "", "text": "hi", "message_id": {"x": 1}},
    ],
)
async def test_bad_bodies_get_400_json(client: TestClient, body: dict[str, object]) -> None:
    status, data = await chat(client, **body)
    assert status == 400
    assert data["error"] == "bad_request" and data["message"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("text=hi", "text/plain")],
)
async def test_malformed_json_gets_400(client: TestClient, raw: str, content_type: str) -> None:
    response = await client.post("/api/chat", data=raw, headers={"Content-Type": content_type})
    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"


async def test_oversized_body_gets_413(client: TestClient, app: AppContext) -> None:
    big = "a" * (app.settings.web_max_body_bytes + 10)
    response = await client.post(
        "/api/chat",
        data=f'{{"session": "", "text": "{big}"}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    assert (await response.json())["error"] == "too_large"


async def test_html_is_returned_as_plain_text(client: TestClient) -> None:
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    status, data = await chat(client, session="", text=attack)
    assert status == 200
    assert all("<script>" not in reply["text"] for reply in data["replies"])  # not echoed back
    assert data["replies"][0]["text"]


async def test_flooding_session_is_slowed_politely(client: TestClient, app: AppContext) -> None:
    _, data = await chat(client, session="", text="/start")
    session = data["session"]
    statuses = []
    for _ in range(app.settings.web_rate_burst + 3):
        status, body = await chat(client, session=session, text="xin chào")
        statuses.append(status)
    assert 429 in statuses
    assert body["error"] == "rate_limited" and body["message"] == texts.slow_down()
    assert int(body["retry_after"]) >= 1


async def test_outbox_messages_reach_the_page(client: TestClient, app: AppContext) -> None:
    _, data = await chat(client, session="", text="/start")
    session = str(data["session"])
    await app.channels["web"].send(session, Reply("Tin nhắn từ tình nguyện viên"))
    response = await client.get("/api/updates", params={"session": session})
    assert [r["text"] for r in (await response.json())["replies"]] == [
        "Tin nhắn từ tình nguyện viên"
    ]
    response = await client.get("/api/updates", params={"session": session})
    assert (await response.json())["replies"] == []
    bad = await client.get("/api/updates", params={"session": "../../etc"})
    assert bad.status == 400


async def test_healthz_and_page(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    health = await response.json()
    assert (health["status"], health["database"]) == ("ok", "up")
    assert health["outbox"]["in_doubt"] == {"resent": 0, "not_resent": 0}
    page = await client.get("/")
    assert page.status == 200 and "Trợ lý Chuyển đổi số" in await page.text()
    script = await client.get("/static/chat.js")
    assert script.status == 200 and "textContent" in await script.text()
    missing = await client.get("/api/nothing")
    assert missing.status == 404
