"""Masking and redaction of personal data."""

from __future__ import annotations

import pytest

from bot.privacy import REDACTED_NUMBER, mask_id, mask_name, mask_phone, redact_numbers


def test_masks() -> None:
    assert mask_phone("0912345678") == "09******78"
    assert mask_name("Nguyễn Văn An") == "N. V. A."
    assert mask_id("710000001") == "…0001"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("gọi 0912345678 nhé", f"gọi {REDACTED_NUMBER} nhé"),
        ("+84 912 345 678", REDACTED_NUMBER),
        ("cccd 052.123.456.789", f"cccd {REDACTED_NUMBER}"),
        ("ngày 10/10/2022 có gì", "ngày 10/10/2022 có gì"),
        ("định danh mức 2", "định danh mức 2"),
        ("chuyển khoản trên 10 triệu", "chuyển khoản trên 10 triệu"),
    ],
)
def test_redact_numbers(text: str, expected: str) -> None:
    assert redact_numbers(text) == expected
