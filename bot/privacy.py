"""Masking of personal data before it reaches a log line."""

from __future__ import annotations

import hashlib
import hmac
import re

from faq.normalize import strip_diacritics

# Eight or more digits, possibly grouped: phone numbers, ID card numbers (12 digits), accounts.
_LONG_NUMBER = re.compile(r"\+?\d(?:[\s.\-]?\d){7,}")
REDACTED_NUMBER = "[số đã ẩn]"
REDACTED_NAME = "[tên đã ẩn]"
REDACTED_CODE = "[mã đã ẩn]"
# One-time codes and passwords: a token with a digit after "OTP", "mã xác thực", "mật khẩu",
# "passcode", "PIN" (with or without "là" or a colon), and any lone run of six digits, the
# usual length of an OTP. A password without any digit is beyond what a pattern can tell.
_SECRET_CUE = (
    r"(?:otp|m[aã]\s+(?:otp|pin|x[aá]c\s+(?:th[uự]c|nh[aậ]n))|passcode|password|pin"
    r"|m[aậ]t\s+kh[aẩ]u|mk)"
)
_SECRET_AFTER_CUE = re.compile(
    rf"\b({_SECRET_CUE})(\s*(?:l[aà]\s+|:\s*|\s+))(\S*\d\S*)", re.IGNORECASE
)
_SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
# The most common Vietnamese family names (about nine in ten people carry one of them).
_SURNAMES = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trương",
    "Đào",
    "Đoàn",
    "Vương",
    "Trịnh",
    "Mai",
    "Lâm",
    "Phùng",
    "Tô",
    "Tạ",
    "Hà",
    "Cao",
    "Lương",
    "Quách",
    "Châu",
    "Lưu",
    "Kiều",
    "Thái",
    "Triệu",
    "Đàm",
    "Hứa",
    "Lại",
    "Mạc",
    "Nông",
    "Tăng",
    "Văn",
    "Khúc",
    "Từ",
    "Thân",
    "Chu",
    "Giang",
    "Kim",
    "Nghiêm",
    "Quan",
    "Tôn",
    "Ông",
    "Lã",
    "Âu",
    "Khổng",
    "Thạch",
]
_SURNAME_SET = frozenset(strip_diacritics(name) for name in _SURNAMES)
_WORD = r"[^\W\d_]+"
_WORDS = re.compile(_WORD)
# Places that begin with a family name ("Hà Nội") are not names.
_PLACES = frozenset(
    [
        "ha noi",
        "ha tinh",
        "ha giang",
        "ha nam",
        "cao bang",
        "lam dong",
        "thai nguyen",
        "thai binh",
        "ho chi minh",
    ]
)
# "tên tôi là an", "toi ten la nguyen van an", "em là Hoa": up to four words after the cue.
_NAME_CUE = re.compile(
    r"\b(?:t[eê]n\s+(?:c[uủ]a\s+)?(?:t[oô]i|em|m[iì]nh|con|ch[aá]u|b[aà]|[oô]ng)(?:\s+l[aà])?"
    r"|(?:t[oô]i|em|m[iì]nh|con|ch[aá]u)\s+t[eê]n(?:\s+l[aà])?"
    r"|t[eê]n\s+l[aà]|h[oọ]\s+t[eê]n(?:\s+l[aà])?)\s*:?\s+"
    r"((?:" + _WORD + r")(?:\s+" + _WORD + r"){0,3})",
    re.IGNORECASE,
)


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


def redact_codes(text: str) -> str:
    """Hide what looks like a one-time code or a password in free text."""
    text = _SECRET_AFTER_CUE.sub(lambda m: m.group(1) + m.group(2) + REDACTED_CODE, text)
    return _SIX_DIGITS.sub(REDACTED_CODE, text)


def redact_names(text: str) -> str:
    """Hide what looks like a person's name: a family name followed by capitalised words,
    or the words after "tên tôi là", "tôi tên", "họ tên" (with or without diacritics)."""

    def after_cue(match: re.Match[str]) -> str:
        start = match.start(1) - match.start()
        return match.group()[:start] + REDACTED_NAME

    text = _NAME_CUE.sub(after_cue, text)
    words = list(_WORDS.finditer(text))
    spans: list[tuple[int, int]] = []
    index = 0
    while index < len(words):
        end = _name_end(text, words, index)
        if end > index:
            spans.append((words[index].start(), words[end].end()))
            index = end
        index += 1
    for start, stop in reversed(spans):
        text = text[:start] + REDACTED_NAME + text[stop:]
    return text


def _name_end(text: str, words: list[re.Match[str]], first: int) -> int:
    """Index of the last word of a name starting at `first` (a capitalised family name and
    one to three capitalised words), or `first` when there is none."""
    if (
        not _is_capitalised(words[first].group())
        or _plain(words[first].group()) not in _SURNAME_SET
    ):
        return first
    last = first
    while (
        last + 1 < len(words)
        and last - first < 3
        and _is_capitalised(words[last + 1].group())
        and text[words[last].end() : words[last + 1].start()].isspace()
    ):
        last += 1
    if last > first and _plain(text[words[first].start() : words[last].end()]) in _PLACES:
        return first
    return last


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _plain(text: str) -> str:
    return " ".join(strip_diacritics(text).split())


def redact_personal(text: str) -> str:
    """Numbers, codes and names hidden: what may be kept of a question for organizers to
    review, or shown to volunteers of what a citizen wrote to the bot before."""
    return redact_names(redact_codes(redact_numbers(text)))


def person_key(key: bytes, channel: str, chat_id: str) -> str:
    """A keyed, irreversible stand-in for (channel, chat id): rows that must not name the
    person (questions kept for review) can still be found and deleted on request."""
    digest = hmac.new(key, f"{channel}\x1f{chat_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
