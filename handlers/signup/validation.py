"""What citizens type in the sign-up form, read leniently: phone numbers, names, codes, yes/no."""

from __future__ import annotations

import re

from faq.normalize import strip_diacritics
from storage import signups

MAX_NAME_CHARS = 60

YES_WORDS = frozenset({"co", "dong y", "ok", "yes", "vang", "da", "u", "uh", "duoc", "dung"})
NO_WORDS = frozenset({"khong", "khong dong y", "no", "thoi khong"})
CONFIRM_WORDS = YES_WORDS | {"xac nhan", "dung roi", "chinh xac"}
START_PHRASES = (
    "đăng ký buổi",
    "đăng ký hỗ trợ",
    "đăng ký tham gia buổi",
    "đăng ký lịch hỗ trợ",
    "ghi tên buổi",
    "đặt lịch hỗ trợ",
)
MINE_PHRASES = (
    "hủy đăng ký buổi",
    "hủy buổi hỗ trợ",
    "lượt đăng ký của tôi",
    "buổi tôi đã đăng ký",
    "xem lịch đã đăng ký",
    "xem lại đăng ký",
)
_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE_DIGITS = re.compile(r"^[35789][0-9]{8}$")
# "hủy ABC234", "huỷ mã abc-234", "hủy đăng ký ABC 234" (matched without diacritics).
_CANCEL_CODE = re.compile(r"^huy\s+(?:dang ky\s+)?(?:ma\s+)?[:#]?\s*([a-z0-9][a-z0-9 \-]{4,10})$")


def normalize_phone(text: str) -> str | None:
    """A Vietnamese mobile number as 0XXXXXXXXX, or None: '+84 912.345.678' -> '0912345678'."""
    raw = _SEPARATORS.sub("", text.strip())
    if raw.startswith("+84"):
        raw = raw[3:]
    elif raw.startswith("0084"):
        raw = raw[4:]
    elif raw.startswith("84") and len(raw) == 11:
        raw = raw[2:]
    if raw.startswith("0"):  # also "+84 0912..." which people often write
        raw = raw[1:]
    return "0" + raw if _PHONE_DIGITS.match(raw) else None


def clean_name(text: str) -> str | None:
    """Collapse spaces and capitalise an all-lower-case name; None if it is not a name."""
    name = " ".join(text.split())
    allowed = all(ch.isalpha() or ch in " .'-" for ch in name)
    if not allowed or sum(ch.isalpha() for ch in name) < 2 or len(name) > MAX_NAME_CHARS:
        return None
    return name.title() if name.islower() else name


def code_in(text: str) -> str | None:
    """The booking code in 'hủy ABC234' (any case, separators, diacritics), else None."""
    match = _CANCEL_CODE.match(" ".join(strip_diacritics(text).split()))
    if match is None:
        return None
    code = re.sub(r"[\s-]", "", match.group(1)).upper()
    return code if signups.is_code(code) else None
