"""The Zalo OA client against the fake OA: CS messages, the refresh call, every error code."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.channels.base import (
    DeliveryError,
    NotAllowed,
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    TemporaryFailure,
)
from bot.channels.zalo import inbound, render
from bot.channels.zalo.errors import (
    OutsideWindow,
    QuotaExhausted,
    RefreshRejected,
    Skipped,
    TokenRejected,
)
from bot.channels.zalo.oa_api import OaApi, error_for, seconds_until_morning
from bot.clock import ManualClock
from bot.messages import Button, Reply
from tests.fake_zalo import OA_APP_ID, OA_APP_SECRET, FakeZaloOA, Fault, oa_fault

CITIZEN = "6142494823000000000"
TEXT = {"text": "Ngày Chuyển đổi số quốc gia là 10/10 hằng năm."}


@pytest.fixture
async def oa(clock: ManualClock) -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA(clock.now) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def make_api(oa: FakeZaloOA, session: aiohttp.ClientSession, clock: ManualClock) -> OaApi:
    return OaApi(
        session,
        app_id=OA_APP_ID,
        app_secret=OA_APP_SECRET,
        now=clock.now,
        api_base=oa.api_base,
        oauth_base=oa.oauth_base,
        timeout_seconds=0.5,
    )


@pytest.fixture
def api(oa: FakeZaloOA, session: aiohttp.ClientSession, clock: ManualClock) -> OaApi:
    return make_api(oa, session, clock)


@pytest.fixture
def token(oa: FakeZaloOA) -> str:
    oa.add_user(CITIZEN)
    return oa.issue_tokens().access_token


async def test_send_text_with_buttons(oa: FakeZaloOA, api: OaApi, token: str) -> None:
    reply = Reply("Bạn muốn đăng ký buổi nào?", (Button("Sáng thứ Bảy", "signup:pick:1"),))
    [message] = render.render_oa(reply)
    sent = await api.send_message(token, CITIZEN, message)
    assert sent.message_id and len(sent.message_id) == 20
    assert sent.quota_remaining is None  # the quota block was dropped in 2026
    [call] = oa.calls_of("message/cs")
    assert call.headers["access_token"] == token
    assert call.params == {"recipient": {"user_id": CITIZEN}, "message": message}
    assert oa.messages_to(CITIZEN) == [call.params]


async def test_the_quota_block_is_read_when_present(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloOA(clock.now, daily_quota_per_user=8) as oa:
        oa.add_user(CITIZEN)
        sent = await make_api(oa, session, clock).send_message(
            oa.issue_tokens().access_token, CITIZEN, TEXT
        )
    assert sent.quota_remaining == 7


async def test_a_tapped_button_comes_back_as_its_payload(
    oa: FakeZaloOA, api: OaApi, token: str
) -> None:
    shown = (Button("✅ Đồng ý", "signup:consent:yes"), Button("Không đồng ý", "signup:consent:no"))
    [message] = render.render_oa(Reply("Bạn đồng ý cho lưu số điện thoại không?", shown))
    await api.send_message(token, CITIZEN, message)
    event = inbound.parse_oa_event(oa.tap(CITIZEN, "Không đồng ý").body)
    assert event.kind is inbound.EventKind.TEXT and event.text is not None
    assert render.resolve_tap(event.text, shown) == "signup:consent:no"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (-32, RetryAfter),
        (-201, PermanentFailure),
        (-211, QuotaExhausted),
        (-213, RecipientUnreachable),
        (-216, TokenRejected),
        (-218, QuotaExhausted),
        (-220, TokenRejected),
        (-227, RecipientUnreachable),
        (-230, OutsideWindow),
        (-232, OutsideWindow),
        (-234, RetryAfter),
        (-240, PermanentFailure),
        (-305, OutsideWindow),
        (-311, QuotaExhausted),
        (-99999, PermanentFailure),
    ],
)
async def test_every_error_code_is_mapped(
    oa: FakeZaloOA, api: OaApi, token: str, code: int, expected: type[DeliveryError]
) -> None:
    oa.fail("message/cs", oa_fault(code))
    with pytest.raises(expected) as caught:
        await api.send_message(token, CITIZEN, TEXT)
    assert str(code) in str(caught.value)
    assert type(caught.value) is expected


def test_skips_carry_a_reason_and_are_never_retried() -> None:
    now = datetime(2026, 10, 3, 1, 0, tzinfo=UTC)
    window = error_for(-230, "User has not interacted", now)
    assert isinstance(window, Skipped) and isinstance(window, NotAllowed)
    assert window.reason == "outside Zalo window"
    quota = error_for(-218, "Out of quota receive", now)
    assert isinstance(quota, QuotaExhausted) and quota.scope == "recipient today"
    whole_oa = error_for(-211, "Out of quota", now)
    assert isinstance(whole_oa, QuotaExhausted) and whole_oa.scope == "OA"
    limited = error_for(-32, "limit", now)
    assert isinstance(limited, RetryAfter) and limited.seconds == 60


@pytest.mark.parametrize(
    ("local_time", "seconds"),
    [("23:00", 7 * 3600), ("02:30", 3.5 * 3600), ("05:59", 60), ("12:00", 300)],
)
def test_night_errors_wait_until_six_in_vietnam(local_time: str, seconds: float) -> None:
    hour, minute = map(int, local_time.split(":"))
    vietnam = datetime(2026, 10, 3, hour, minute, tzinfo=UTC) - timedelta(hours=7)
    assert seconds_until_morning(vietnam) == seconds


async def test_the_fake_produces_the_codes_from_its_own_state(
    oa: FakeZaloOA, api: OaApi, token: str, clock: ManualClock
) -> None:
    """Not injected: unknown, unfollowed, banned, out of the window, invalid buttons."""
    with pytest.raises(RecipientUnreachable, match="-213"):
        await api.send_message(token, "7000000000000000001", TEXT)
    oa.add_user("u-left", follower=False)
    with pytest.raises(RecipientUnreachable, match="-213"):
        await api.send_message(token, "u-left", TEXT)
    oa.add_user("u-banned", banned=True)
    with pytest.raises(RecipientUnreachable, match="-227"):
        await api.send_message(token, "u-banned", TEXT)
    oa.add_user("u-old", last_interaction=clock.now() - timedelta(days=7, minutes=1))
    with pytest.raises(OutsideWindow, match="-230"):
        await api.send_message(token, "u-old", TEXT)
    no_buttons = {"text": "x", "attachment": {"type": "template", "payload": {"buttons": []}}}
    with pytest.raises(PermanentFailure, match=r"-201.*buttons"):
        await api.send_message(token, CITIZEN, no_buttons)
    with pytest.raises(PermanentFailure, match=r"-201.*message\.text"):
        await api.send_message(token, CITIZEN, {"text": "x" * 2001})
    with pytest.raises(TokenRejected, match="-216"):
        await api.send_message("not-a-token", CITIZEN, TEXT)
    oa.expire_access_token(token)
    with pytest.raises(TokenRejected, match="-220"):
        await api.send_message(token, CITIZEN, TEXT)


async def test_the_window_closes_seven_days_after_the_last_event(
    oa: FakeZaloOA, api: OaApi, token: str, clock: ManualClock
) -> None:
    oa.text_event(CITIZEN, "Chào bạn")  # an interaction now
    clock.advance(timedelta(days=6, hours=23))
    fresh = oa.issue_tokens().access_token  # the first one lasted 25 h
    await api.send_message(fresh, CITIZEN, TEXT)
    clock.advance(timedelta(hours=2))
    with pytest.raises(OutsideWindow):
        await api.send_message(fresh, CITIZEN, TEXT)
    oa.follow_event(CITIZEN)  # following again is an interaction
    await api.send_message(fresh, CITIZEN, TEXT)


async def test_the_window_error_variant(clock: ManualClock, session: aiohttp.ClientSession) -> None:
    async with FakeZaloOA(clock.now, window_error=-232) as oa:
        oa.add_user(CITIZEN, last_interaction=clock.now() - timedelta(days=30))
        with pytest.raises(OutsideWindow, match="-232"):
            await make_api(oa, session, clock).send_message(
                oa.issue_tokens().access_token, CITIZEN, TEXT
            )


async def test_quotas_of_the_oa_and_of_one_recipient(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloOA(clock.now, oa_quota=3, daily_quota_per_user=2) as oa:
        api = make_api(oa, session, clock)
        token = oa.issue_tokens().access_token
        oa.add_user("a")
        oa.add_user("b")
        await api.send_message(token, "a", TEXT)
        await api.send_message(token, "a", TEXT)
        with pytest.raises(QuotaExhausted, match="recipient today"):
            await api.send_message(token, "a", TEXT)
        await api.send_message(token, "b", TEXT)
        with pytest.raises(QuotaExhausted, match=r"\(OA\)"):
            await api.send_message(token, "b", TEXT)


async def test_the_rate_limit_answers_minus_32_until_the_next_minute(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloOA(clock.now, rate_limit_per_minute=2) as oa:
        api = make_api(oa, session, clock)
        token = oa.issue_tokens().access_token
        oa.add_user(CITIZEN)
        await api.send_message(token, CITIZEN, TEXT)
        await api.send_message(token, CITIZEN, TEXT)
        with pytest.raises(RetryAfter) as caught:
            await api.send_message(token, CITIZEN, TEXT)
        assert caught.value.seconds == 60
        clock.advance(timedelta(minutes=1))
        await api.send_message(token, CITIZEN, TEXT)
        async with aiohttp.ClientSession() as raw:
            url = oa.api_base + "/v3.0/oa/message/cs"
            async with raw.post(url, json={}, headers={"access_token": token}) as response:
                assert response.headers["X-RateLimit-Limit"] == "2"
                assert response.headers["X-RateLimit-Remain"] == "0"


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(500, "Internal Server Error"), TemporaryFailure),
        (Fault(502, {"error": -1}), TemporaryFailure),
        (Fault(200, "<html>proxy</html>"), TemporaryFailure),
        (Fault(200, b"\xff\xfe\x00garbage"), TemporaryFailure),
        (Fault(429, "slow down", headers={"Retry-After": "-3"}), RetryAfter),
        (Fault(404, "<html>Not Found</html>"), PermanentFailure),
        (Fault(429, "slow down", headers={"Retry-After": "7"}), RetryAfter),
        (Fault(200, {"data": {}}), PermanentFailure),  # no error field at all
        (Fault(200, {"error": "-216", "message": "as a string"}), TokenRejected),
        (Fault(200, {"error": 0, "message": "Success"}), None),
        (Fault(200, {"error": 0, "data": {"message_id": 42, "quota": {"remain": "x"}}}), None),
        (Fault(200, "", delay=1.0), TemporaryFailure),  # slower than the client's timeout
    ],
)
async def test_transport_problems(
    oa: FakeZaloOA, api: OaApi, token: str, fault: Fault, expected: type[DeliveryError] | None
) -> None:
    oa.fail("message/cs", fault)
    if expected is None:
        sent = await api.send_message(token, CITIZEN, TEXT)
        assert sent.quota_remaining is None
        return
    with pytest.raises(expected) as caught:
        await api.send_message(token, CITIZEN, TEXT)
    if isinstance(caught.value, RetryAfter):
        assert caught.value.seconds in (7, 60)  # the header, or a minute when it is unusable


async def test_an_unreachable_server_is_temporary(
    session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    api = OaApi(
        session,
        app_id=OA_APP_ID,
        app_secret=OA_APP_SECRET,
        now=clock.now,
        api_base="http://127.0.0.1:9",  # the discard port: nothing listens there
        timeout_seconds=0.5,
    )
    with pytest.raises(TemporaryFailure):
        await api.send_message("t", CITIZEN, TEXT)


async def test_the_v2_message_endpoint_is_shut_down(oa: FakeZaloOA, token: str) -> None:
    async with (
        aiohttp.ClientSession() as raw,
        raw.post(oa.api_base + "/v2.0/oa/message", json={}) as response,
    ):
        body = await response.json()
    assert (response.status, body["error"]) == (200, -240)


async def test_user_detail(oa: FakeZaloOA, token: str) -> None:
    url = oa.api_base + "/v3.0/oa/user/detail"
    async with aiohttp.ClientSession(headers={"access_token": token}) as raw:
        query = {"data": json.dumps({"user_id": CITIZEN})}
        async with raw.get(url, params=query) as response:
            known = await response.json()
        async with raw.get(url, params={"data": json.dumps({"user_id": "x"})}) as response:
            unknown = await response.json()
    assert known["error"] == 0 and known["data"]["user_is_follower"] is True
    assert known["data"]["display_name"] == "Nguyễn Văn A"
    assert unknown["error"] == -213


# --- the refresh call -----------------------------------------------------------------------


async def test_refresh_rotates_the_pair_and_a_reused_refresh_token_is_burned(
    oa: FakeZaloOA, api: OaApi
) -> None:
    issued = oa.issue_tokens()
    grant = await api.refresh(issued.refresh_token)
    assert grant.expires_in == timedelta(hours=25)
    assert grant.refresh_token != issued.refresh_token
    [call] = oa.calls_of("access_token")
    assert call.headers["secret_key"] == OA_APP_SECRET
    assert call.params == {
        "refresh_token": issued.refresh_token,
        "app_id": OA_APP_ID,
        "grant_type": "refresh_token",
    }
    with pytest.raises(RefreshRejected, match="invalid_grant"):
        await api.refresh(issued.refresh_token)
    with pytest.raises(RefreshRejected):  # still burned
        await api.refresh(issued.refresh_token)
    assert (await api.refresh(grant.refresh_token)).access_token  # the new one works, once


async def test_refresh_with_the_wrong_secret_is_rejected(
    oa: FakeZaloOA, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    api = OaApi(
        session,
        app_id=OA_APP_ID,
        app_secret="wrong",
        now=clock.now,
        api_base=oa.api_base,
        oauth_base=oa.oauth_base,
    )
    with pytest.raises(RefreshRejected, match="invalid_client"):
        await api.refresh(oa.issue_tokens().refresh_token)


async def test_a_refresh_token_past_three_months_is_rejected(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock
) -> None:
    issued = oa.issue_tokens()
    clock.advance(timedelta(days=91))
    with pytest.raises(RefreshRejected, match="expired"):
        await api.refresh(issued.refresh_token)


async def test_expires_in_as_a_number_is_accepted(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloOA(clock.now, expires_in_as_string=False) as oa:
        grant = await make_api(oa, session, clock).refresh(oa.issue_tokens().refresh_token)
    assert grant.expires_in == timedelta(seconds=90_000)


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (Fault(500, "oops"), TemporaryFailure),
        (Fault(200, {"message": "no tokens, no error"}), TemporaryFailure),
        (Fault(400, {"error": -14014, "error_name": "invalid_grant"}), RefreshRejected),
        (Fault(200, {"error_description": "Invalid refresh token"}), RefreshRejected),
    ],
)
async def test_refresh_failures(
    oa: FakeZaloOA, api: OaApi, fault: Fault, expected: type[Exception]
) -> None:
    oa.fail("access_token", fault)
    with pytest.raises(expected):
        await api.refresh(oa.issue_tokens().refresh_token)
