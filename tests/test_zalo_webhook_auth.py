"""Zalo webhook authentication: the OA signature and timestamp, the Bot secret header."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo import inbound
from bot.channels.zalo.webhook_auth import (
    BOT_SECRET_HEADER,
    RECOMMENDED_STALE_WINDOW,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignedBy,
    bot_secret_ok,
    is_fresh,
    oa_mac,
    timestamp_ms,
    verify_oa_signature,
)
from bot.clock import ManualClock
from tests.fake_zalo import OA_APP_ID, OA_ID, OA_SECRET_KEY, FakeZaloBot, FakeZaloOA, SignedEvent

NOW = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)
CITIZEN = "6142494823000000000"


@pytest.fixture
def oa() -> FakeZaloOA:
    """Only the event builders are used here: no server needs to run."""
    return FakeZaloOA(ManualClock(NOW).now)


def verify(event: SignedEvent, *, oa_id: str | None = None) -> SignedBy | None:
    return verify_oa_signature(
        event.body,
        event.headers.get(SIGNATURE_HEADER),
        OA_SECRET_KEY,
        app_id=OA_APP_ID,
        oa_id=oa_id,
        header_timestamp=event.headers.get(TIMESTAMP_HEADER),
    )


def test_the_mac_is_a_plain_sha256_of_app_id_body_timestamp_and_secret() -> None:
    raw = b'{"timestamp":"1699003881354"}'
    expected = hashlib.sha256(
        OA_APP_ID.encode() + raw + b"1699003881354" + OA_SECRET_KEY.encode()
    ).hexdigest()
    assert oa_mac(OA_APP_ID, raw, "1699003881354", OA_SECRET_KEY) == expected


@pytest.mark.parametrize(
    "build",
    [
        lambda oa: oa.text_event(CITIZEN, "Chào bạn"),
        lambda oa: oa.follow_event(CITIZEN),
        lambda oa: oa.unfollow_event(CITIZEN),
        lambda oa: oa.image_event(CITIZEN),
        lambda oa: oa.sticker_event(CITIZEN),
        lambda oa: oa.unknown_event(CITIZEN),
        lambda oa: oa.text_event(CITIZEN, "x", mac_prefix=False),
    ],
)
def test_every_event_the_fake_signs_verifies(oa: FakeZaloOA, build) -> None:
    assert verify(build(oa)) is SignedBy.APP_ID


def test_a_forged_signature_fails(oa: FakeZaloOA) -> None:
    assert verify(oa.text_event(CITIZEN, "x", secret="guessed-secret")) is None


def test_a_changed_body_fails(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "chuyển 100 nghìn")
    tampered = SignedEvent(event.body.replace(b"100", b"900"), event.headers)
    assert verify(tampered) is None


@pytest.mark.parametrize("header", [None, "", "mac=", "mac=zz", "mac=ẞ" * 10, "sha256=abc"])
def test_missing_or_garbage_headers_fail_without_raising(oa: FakeZaloOA, header) -> None:
    event = oa.text_event(CITIZEN, "x")
    assert verify_oa_signature(event.body, header, OA_SECRET_KEY, app_id=OA_APP_ID) is None


def test_uppercase_hex_is_accepted(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "x")
    mac = event.headers[SIGNATURE_HEADER].removeprefix("mac=")
    upper = SignedEvent(event.body, {**event.headers, SIGNATURE_HEADER: f"mac={mac.upper()}"})
    assert verify(upper) is SignedBy.APP_ID


def test_the_oa_id_variant_passes_only_when_configured(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "x", sign_with="oa_id")
    assert verify(event) is None
    assert verify(event, oa_id=OA_ID) is SignedBy.OA_ID


def test_the_header_timestamp_variant_verifies_and_is_read(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "x", timestamp_in="header")
    assert "timestamp" not in event.json()
    assert verify(event) is SignedBy.APP_ID
    assert timestamp_ms(event.body, event.headers[TIMESTAMP_HEADER]) == int(NOW.timestamp() * 1000)


def test_an_event_for_another_app_fails(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "x")
    assert (
        verify_oa_signature(
            event.body, event.headers[SIGNATURE_HEADER], OA_SECRET_KEY, app_id="999"
        )
        is None
    )


def test_a_non_json_body_cannot_be_verified() -> None:
    assert verify_oa_signature(b"not json", "mac=00", OA_SECRET_KEY, app_id=OA_APP_ID) is None


@pytest.mark.parametrize(
    ("age", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(minutes=119), True),
        (timedelta(hours=2, seconds=1), False),
        (-timedelta(minutes=5), True),  # a little clock skew
        (-timedelta(hours=3), False),  # far in the future
    ],
)
def test_staleness_window(oa: FakeZaloOA, age: timedelta, fresh: bool) -> None:
    event = oa.text_event(CITIZEN, "x", at=NOW - age)
    stamp = timestamp_ms(event.body)
    assert is_fresh(stamp, NOW, RECOMMENDED_STALE_WINDOW) is fresh


@pytest.mark.parametrize(
    "raw", [b"{}", b'{"timestamp": "soon"}', b'{"timestamp": "' + b"9" * 40 + b'"}']
)
def test_no_usable_timestamp_is_never_fresh(raw: bytes) -> None:
    assert timestamp_ms(raw) is None
    assert not is_fresh(timestamp_ms(raw), NOW, timedelta(days=365))
    assert not is_fresh(10**18, NOW, timedelta(days=365))  # forged, far beyond a datetime


@pytest.mark.parametrize(
    ("given", "ok"),
    [
        ("s3cret-token-42", True),
        ("s3cret-token-43", False),
        ("", False),
        (None, False),
        ("é", False),
    ],
)
def test_bot_secret_header(given: str | None, ok: bool) -> None:
    assert bot_secret_ok(given, "s3cret-token-42") is ok
    assert not bot_secret_ok(given, "")  # no secret configured never passes


# --- the order an adapter follows, on a real HTTP server --------------------------------


async def oa_webhook(request: web.Request) -> web.Response:
    """Signature, then staleness, then parsing; what an adapter's handler does first."""
    raw = await request.read()
    header_timestamp = request.headers.get(TIMESTAMP_HEADER)
    signed_by = verify_oa_signature(
        raw,
        request.headers.get(SIGNATURE_HEADER),
        OA_SECRET_KEY,
        app_id=OA_APP_ID,
        header_timestamp=header_timestamp,
    )
    if signed_by is None:
        return web.Response(status=403)
    if not is_fresh(timestamp_ms(raw, header_timestamp), NOW, RECOMMENDED_STALE_WINDOW):
        return web.Response(status=403, text="stale")
    try:
        event = inbound.parse_oa_event(raw)
    except inbound.MalformedEvent:
        return web.Response(status=400)
    return web.json_response({"kind": event.kind, "key": event.dedupe_key})


@pytest.fixture
async def endpoint() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/zalo/webhook", oa_webhook)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield str(client.make_url("/zalo/webhook"))


async def test_posted_events_good_forged_stale_and_malformed(oa: FakeZaloOA, endpoint: str) -> None:
    status, body = await oa.post_event(endpoint, oa.text_event(CITIZEN, "Chào bạn"))
    assert status == 200 and '"text"' in body
    assert (await oa.post_event(endpoint, oa.follow_event(CITIZEN)))[0] == 200
    forged = oa.text_event(CITIZEN, "x", secret="nope")
    assert (await oa.post_event(endpoint, forged))[0] == 403
    stale = oa.text_event(CITIZEN, "x", at=NOW - timedelta(hours=3))
    assert (await oa.post_event(endpoint, stale)) == (403, "stale")
    # Signed correctly but not an event: authenticated garbage is a 400.
    malformed = oa.text_event(CITIZEN, "x")
    body_without_sender = malformed.json()
    del body_without_sender["sender"]
    assert (await oa.post_event(endpoint, oa.sign(body_without_sender)))[0] == 400


def test_bot_webhook_requests_carry_the_registered_secret() -> None:
    bot = FakeZaloBot(lambda: NOW)
    bot.webhook = {"url": "https://bot.example/zalo", "secret_token": "s3cret-token-42"}
    update = bot.inject_text("e4ea2cd5189df1c3a88c", "xin chào")
    body, headers = bot.webhook_request(update)
    assert bot_secret_ok(headers[BOT_SECRET_HEADER], "s3cret-token-42")
    _, forged = bot.webhook_request(update, secret="wrong-secret")
    assert not bot_secret_ok(forged[BOT_SECRET_HEADER], "s3cret-token-42")
    assert inbound.parse_bot_update(body).text == "xin chào"
