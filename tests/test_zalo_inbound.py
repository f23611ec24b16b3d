"""Parsing Zalo OA webhook events and Zalo Bot updates, with every variant the sources show."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.channels.zalo.inbound import (
    EventKind,
    InboundEvent,
    MalformedEvent,
    parse_bot_update,
    parse_oa_event,
)
from bot.clock import ManualClock
from tests.fake_zalo import FakeZaloBot, FakeZaloOA

NOW = datetime(2026, 10, 3, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)
CITIZEN = "6142494823000000000"
BOT_USER = "e4ea2cd5189df1c3a88c"


@pytest.fixture
def oa() -> FakeZaloOA:
    return FakeZaloOA(ManualClock(NOW).now)


@pytest.fixture
def bot() -> FakeZaloBot:
    return FakeZaloBot(ManualClock(NOW).now)


# --- OA -----------------------------------------------------------------------------------


def test_oa_text(oa: FakeZaloOA) -> None:
    event = oa.text_event(CITIZEN, "Chào bạn", msg_id="cb31dff1c39642cc1b83")
    parsed = parse_oa_event(event.body)
    assert parsed == InboundEvent(
        kind=EventKind.TEXT,
        event_name="user_send_text",
        sender_id=CITIZEN,
        chat_id=CITIZEN,
        message_id="cb31dff1c39642cc1b83",
        timestamp_ms=NOW_MS,
        text="Chào bạn",
    )
    assert parsed.sent_at == NOW
    assert parsed.dedupe_key == "cb31dff1c39642cc1b83"


def test_oa_text_variants_mid_and_click_button(oa: FakeZaloOA) -> None:
    mid = parse_oa_event(oa.text_event(CITIZEN, "x", msg_id_key="mid", msg_id="m1").body)
    assert mid.message_id == "m1"
    click = parse_oa_event(
        oa.text_event(CITIZEN, "Sáng thứ Bảy", event_name="user_click_button").body
    )
    assert (click.kind, click.text) == (EventKind.TEXT, "Sáng thứ Bảy")


def test_a_retried_event_keeps_its_dedupe_key(oa: FakeZaloOA) -> None:
    first = oa.text_event(CITIZEN, "x")
    assert parse_oa_event(first.retried().body).dedupe_key == parse_oa_event(first.body).dedupe_key


@pytest.mark.parametrize("kind", [EventKind.FOLLOW, EventKind.UNFOLLOW])
def test_oa_follow_and_unfollow_have_a_key_without_msg_id(oa: FakeZaloOA, kind: EventKind) -> None:
    build = oa.follow_event if kind is EventKind.FOLLOW else oa.unfollow_event
    parsed = parse_oa_event(build(CITIZEN).body)
    assert (parsed.kind, parsed.sender_id, parsed.message_id) == (kind, CITIZEN, None)
    assert parsed.dedupe_key == f"{kind}:{CITIZEN}:{NOW_MS}"


def test_oa_image_and_sticker_carry_their_url(oa: FakeZaloOA) -> None:
    image = parse_oa_event(oa.image_event(CITIZEN, "https://photo.example/a.jpg").body)
    assert (image.kind, image.media_url, image.text) == (
        EventKind.IMAGE,
        "https://photo.example/a.jpg",
        None,
    )
    sticker = parse_oa_event(oa.sticker_event(CITIZEN).body)
    assert sticker.kind is EventKind.STICKER and sticker.media_url


@pytest.mark.parametrize(
    ("event_name", "kind"),
    [
        ("user_send_audio", EventKind.OTHER),
        ("user_send_location", EventKind.OTHER),
        ("user_send_business_card", EventKind.OTHER),
        ("user_seen_message", EventKind.UNKNOWN),
        ("oa_send_text", EventKind.UNKNOWN),
        ("a_brand_new_event", EventKind.UNKNOWN),
    ],
)
def test_oa_other_messages_and_unknown_events(
    oa: FakeZaloOA, event_name: str, kind: EventKind
) -> None:
    body: dict[str, Any] = {"event_name": event_name, "sender": {"id": CITIZEN}, "message": {}}
    assert parse_oa_event(json.dumps(body).encode()).kind is kind
    assert parse_oa_event(oa.unknown_event(CITIZEN).body).kind is EventKind.UNKNOWN


def test_an_unknown_event_needs_no_sender() -> None:
    parsed = parse_oa_event({"event_name": "user_received_message"})
    assert parsed.kind is EventKind.UNKNOWN and parsed.sender_id is None


def test_oa_ids_and_timestamps_may_be_numbers() -> None:
    body = {
        "event_name": "user_send_text",
        "timestamp": NOW_MS,
        "sender": {"id": 6142494823000000000},
        "message": {"text": "x", "msg_id": 42},
    }
    parsed = parse_oa_event(body)
    assert (parsed.sender_id, parsed.message_id, parsed.timestamp_ms) == (
        CITIZEN,
        "42",
        NOW_MS,
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"text"',
        b"{}",
        b'{"event_name": 5}',
        b'{"event_name": ""}',
        b'{"event_name": "user_send_text", "message": {"text": "x"}}',
        b'{"event_name": "user_send_text", "sender": {"id": "1"}, "message": {}}',
        b'{"event_name": "user_send_text", "sender": {"id": "1"}, "message": {"text": 7}}',
        b'{"event_name": "user_send_text", "sender": {"id": {"x": 1}}, "message": {"text": "x"}}',
        b'{"event_name": "user_send_text", "sender": "1", "message": "x"}',
        b'{"event_name": "follow"}',
        b'{"event_name": "user_send_image", "sender": {"id": true}}',
    ],
)
def test_malformed_oa_bodies_raise_only_malformed_event(raw: bytes) -> None:
    with pytest.raises(MalformedEvent):
        parse_oa_event(raw)


@pytest.mark.parametrize("timestamp", ["soon", "-5", "1" * 40, True, None, [1], "１２３"])
def test_a_bad_timestamp_is_absent_not_an_error(timestamp: object) -> None:
    body = {
        "event_name": "user_send_text",
        "timestamp": timestamp,
        "sender": {"id": CITIZEN},
        "message": {"text": "x", "msg_id": "m"},
    }
    parsed = parse_oa_event(body)
    assert parsed.timestamp_ms is None and parsed.sent_at is None


def test_odd_attachments_are_tolerated() -> None:
    body = {
        "event_name": "user_send_image",
        "sender": {"id": CITIZEN},
        "message": {"attachments": [None, {"payload": "x"}, {"payload": {"url": ""}}]},
    }
    assert parse_oa_event(body).media_url is None
    body["message"] = {"attachments": "nope"}
    assert parse_oa_event(body).media_url is None


# --- Zalo Bot -----------------------------------------------------------------------------


@pytest.mark.parametrize("envelope", ["flat", "wrapped"])
def test_bot_text_flat_or_wrapped(bot: FakeZaloBot, envelope: str) -> None:
    update = bot.inject_text(BOT_USER, "Ngày Chuyển đổi số quốc gia là ngày nào?")
    body, _ = bot.webhook_request(update, envelope=envelope)
    parsed = parse_bot_update(body)
    assert parsed == InboundEvent(
        kind=EventKind.TEXT,
        event_name="message.text.received",
        sender_id=BOT_USER,
        chat_id=BOT_USER,
        message_id=update["message"]["message_id"],
        timestamp_ms=NOW_MS,
        text="Ngày Chuyển đổi số quốc gia là ngày nào?",
        display_name="Nguyễn Văn A",
    )


def test_bot_name_variant_and_group_chat(bot: FakeZaloBot) -> None:
    update = bot.inject_text(
        BOT_USER, "@bot xin chào", name_field="first_name", chat_type="GROUP", chat_id="g1"
    )
    parsed = parse_bot_update(update)
    assert (parsed.display_name, parsed.is_group, parsed.chat_id) == ("Nguyễn Văn A", True, "g1")


def test_bot_image_sticker_and_unsupported(bot: FakeZaloBot) -> None:
    image = parse_bot_update(bot.inject_image(BOT_USER, "https://p.example/x.jpg", "ảnh CCCD"))
    assert (image.kind, image.media_url, image.text) == (
        EventKind.IMAGE,
        "https://p.example/x.jpg",
        "ảnh CCCD",
    )
    assert parse_bot_update(bot.inject_sticker(BOT_USER)).kind is EventKind.STICKER
    assert parse_bot_update(bot.inject_unsupported(BOT_USER)).kind is EventKind.OTHER
    assert parse_bot_update({"event_name": "bot.added.to.group"}).kind is EventKind.UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ok": True, "result": "x"},
        {"ok": True, "result": {"message": {}}},
        {"event_name": "message.text.received", "message": {"text": "x"}},
        {"event_name": "message.text.received", "message": {"from": {"id": "u"}}},
        {"event_name": "message.image.received", "message": "x"},
    ],
)
def test_malformed_bot_updates(body: dict[str, Any]) -> None:
    with pytest.raises(MalformedEvent):
        parse_bot_update(body)


def test_bot_sender_stands_in_for_a_missing_chat() -> None:
    body = {"event_name": "message.text.received", "message": {"from": {"id": "u"}, "text": "x"}}
    parsed = parse_bot_update(body)
    assert (parsed.chat_id, parsed.message_id, parsed.dedupe_key) == ("u", None, None)
