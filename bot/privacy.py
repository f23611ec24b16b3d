"""Masking of personal data before it reaches a log line."""

from __future__ import annotations

import re

# Eight or more digits, possibly grouped: phone numbers, ID card numbers (12 digits), accounts.
_LONG_NUMBER = re.compile(r"\+?\d(?:[\s.\-]?\d){7,}")
REDACTED_NUMBER = "[số đã ẩn]"


def mask_phone(phone: str) -> str:
    """'0912345678' -> '09******78'."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' -> 'N. V. A.' (initials only)."""
    return " ".join(part[0] + "." for part in name.split() if part) or "?"


def mask_id(value: str) -> str:
    """Keep the last 4 characters of a chat or user id, enough to correlate log lines."""
    return "…" + value[-4:] if len(value) > 4 else value


def redact_numbers(text: str) -> str:
    """Hide long digit runs in free text a citizen typed, before it is stored for review."""
    return _LONG_NUMBER.sub(REDACTED_NUMBER, text)
