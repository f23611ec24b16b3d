"""Safe parsing of the numbers inside button payloads and typed choices.

`"²".isdigit()` is true and `int("²")` fails; a 4,400-digit "page" is a valid int that no
database column holds. Only short runs of ASCII digits are numbers here; anything else is
not a number, and a handler treats it as a stale or forged button, never as an error.
"""

from __future__ import annotations

MAX_DIGITS = 9  # fits a 32-bit integer column


def small_number(text: str, max_digits: int = MAX_DIGITS) -> int | None:
    """'12' -> 12; ' 3 ' -> 3; '²', '-1', '1e3', '99999999999' -> None."""
    text = text.strip()
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)
