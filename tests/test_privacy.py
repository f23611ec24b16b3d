"""Masking and redaction of personal data."""

from __future__ import annotations

import pytest

from bot.privacy import (
    REDACTED_NAME,
    REDACTED_NUMBER,
    mask_id,
    mask_name,
    mask_phone,
    redact_numbers,
    redact_personal,
)


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Phạm Minh Châu 0912345678 hỏi: cài vneid",
            f"{REDACTED_NAME} {REDACTED_NUMBER} hỏi: cài vneid",
        ),
        ("toi ten la nguyen van an can giup", f"toi ten la {REDACTED_NAME} giup"),
        ("Tên tôi là Hoa, cho hỏi", f"Tên tôi là {REDACTED_NAME}, cho hỏi"),
        ("ông Trần Văn Ba ở xã Tịnh Phong", f"ông {REDACTED_NAME} ở xã Tịnh Phong"),
        ("Tran Thi Be hoi vneid", f"{REDACTED_NAME} hoi vneid"),
        ("họ tên: Lê Thị Mai", f"họ tên: {REDACTED_NAME}"),
        # Not names: ordinary words, places, products.
        ("Hà Nội có buổi hỗ trợ nào", "Hà Nội có buổi hỗ trợ nào"),
        ("Cổng Dịch vụ công quốc gia là gì", "Cổng Dịch vụ công quốc gia là gì"),
        ("lê la cả ngày với VNeID mức 2", "lê la cả ngày với VNeID mức 2"),
    ],
)
def test_names_are_hidden_in_stored_questions(text: str, expected: str) -> None:
    assert redact_personal(text) == expected
