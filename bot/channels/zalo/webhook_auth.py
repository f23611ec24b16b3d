"""Authenticating Zalo webhook calls: the OA's signature and timestamp, the Bot's secret header.

Pure functions, so the adapter runs them before it trusts anything in the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"
# Some code reads the timestamp from this header instead of the body [?].
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"
BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# OA retries an unanswered event after 30 s, 5, 15, 30 min and 1 h (O4, O5 §13.2):
# if a retry keeps the first timestamp, the last one arrives about 1 h 51 min after it.
RECOMMENDED_STALE_WINDOW = timedelta(hours=2)


class SignedBy(StrEnum):
    """Which first term of the signature matched: the app id (O1), or the oa id (O5 [?])."""

    APP_ID = "app_id"
    OA_ID = "oa_id"


def oa_mac(first: str, raw_body: bytes, timestamp: str, secret: str) -> str:
    """sha256(first + raw body + timestamp + secret) as hex: a plain hash, not an HMAC (O1, O5)."""
    data = first.encode() + raw_body + timestamp.encode() + secret.encode()
    return hashlib.sha256(data).hexdigest()


def verify_oa_signature(
    raw_body: bytes,
    header: str | None,
    secret: str,
    *,
    app_id: str,
    oa_id: str | None = None,
    header_timestamp: str | None = None,
) -> SignedBy | None:
    """Which id signed this event, or None when the `mac=<hex>` header does not match.

    The configured ids are used (not the body's), so an event for another app never passes.
    The timestamp is the body's, or the X-ZEvent-Timestamp header's when given [?].
    """
    if not header or not secret:
        return None
    given = header.strip().removeprefix("mac=").strip().lower().encode("utf-8", "replace")
    timestamps = [t for t in (_body_timestamp(raw_body), header_timestamp) if t]
    firsts = [(SignedBy.APP_ID, app_id)] + ([(SignedBy.OA_ID, oa_id)] if oa_id else [])
    for signed_by, first in firsts:
        for timestamp in timestamps:
            expected = oa_mac(first, raw_body, timestamp, secret).encode()
            if hmac.compare_digest(given, expected):
                return signed_by
    return None


def _body_timestamp(raw_body: bytes) -> str | None:
    """The body's `timestamp` exactly as a string (it is a string of epoch ms, O5 §13.4)."""
    try:
        body: Any = json.loads(raw_body)
    except ValueError:
        return None
    value = body.get("timestamp") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def timestamp_ms(raw_body: bytes, header_timestamp: str | None = None) -> int | None:
    """The event time in epoch ms, from the body or else the header; None when absent."""
    for value in (_body_timestamp(raw_body), header_timestamp):
        if value and value.isascii() and value.isdigit() and len(value) <= 16:
            return int(value)
    return None


def is_fresh(event_ms: int | None, now: datetime, window: timedelta) -> bool:
    """Whether the event time is within `window` of now, either way (clock skew)."""
    if event_ms is None:
        return False
    # In milliseconds: a huge forged value must not overflow a datetime.
    return abs(now.timestamp() * 1000 - event_ms) <= window.total_seconds() * 1000


def bot_secret_ok(given: str | None, expected: str) -> bool:
    """The Bot webhook's X-Bot-Api-Secret-Token is the setWebhook secret itself (S5, S6, S7, S8)."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
