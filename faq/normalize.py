"""Vietnamese text normalizer: Unicode form, case, diacritics, punctuation, abbreviations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from faq.yamlfile import load_yaml

ABBREVIATIONS_FILE = Path(__file__).parent / "data" / "abbreviations.yaml"

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# "muc2" -> "muc 2", "10k" -> "10 k": keeps numbers as their own tokens.
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
# Letters that NFD does not decompose but people use for "d".
_EXTRA = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def strip_diacritics(text: str) -> str:
    """Return lower-case ``text`` without Vietnamese tone/vowel marks (đ -> d)."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _basic(text: str) -> list[str]:
    """Strip marks, map punctuation/emoji to spaces and split into tokens."""
    return _NON_ALNUM.sub(" ", strip_diacritics(text)).split()


@lru_cache(maxsize=4)
def load_abbreviations(path: Path = ABBREVIATIONS_FILE) -> dict[str, tuple[str, ...]]:
    """Load the abbreviation/teencode dictionary once: normalized token -> expansion tokens."""
    with path.open(encoding="utf-8") as fh:
        raw = load_yaml(fh) or {}
    table: dict[str, tuple[str, ...]] = {}
    for key, value in (raw.get("abbreviations") or {}).items():
        key_tokens = _basic(str(key))
        if len(key_tokens) != 1:
            raise ValueError(f"{path}: abbreviation key {key!r} must be a single word")
        table[key_tokens[0]] = tuple(_basic(str(value)))
    return table


@lru_cache(maxsize=4)
def load_phrases(path: Path = ABBREVIATIONS_FILE) -> dict[tuple[str, ...], str]:
    """Word groups read as one unit: normalized token tuple -> the unit's token."""
    with path.open(encoding="utf-8") as fh:
        raw = load_yaml(fh) or {}
    table: dict[tuple[str, ...], str] = {}
    for key, value in (raw.get("phrases") or {}).items():
        key_tokens, unit = tuple(tokens(str(key))), _basic(str(value or ""))
        if len(key_tokens) < 2 or len(unit) > 1:
            raise ValueError(f"{path}: phrase {key!r} needs 2+ words and a one-word unit")
        table[key_tokens] = unit[0] if unit else ""
    return table


@lru_cache(maxsize=4)
def _phrase_starts(path: Path) -> dict[str, tuple[int, ...]]:
    """First word of each word group -> the group lengths starting with it, longest first."""
    starts: dict[str, set[int]] = {}
    for key in load_phrases(path):
        starts.setdefault(key[0], set()).add(len(key))
    return {word: tuple(sorted(lengths, reverse=True)) for word, lengths in starts.items()}


def join_phrases(words: list[str]) -> list[str]:
    """Replace known word groups by their unit, longest first, left to right.

    "tai khoan bi khoa" -> ["tai", "khoan", "bikhoa"]: a locked account is not the same
    request as locking one ("khoa tai khoan"), and must not match it word for word.
    """
    table = load_phrases()
    starts = _phrase_starts(ABBREVIATIONS_FILE)
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in starts.get(words[i], ()):
            unit = table.get(tuple(words[i : i + n]))
            if unit is not None:
                if unit:  # an empty unit drops the group (a way of asking, not a topic)
                    out.append(unit)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return out


def tokens(text: str) -> list[str]:
    """Normalize ``text`` and return its tokens (see :func:`normalize`)."""
    table = load_abbreviations()
    out: list[str] = []
    for token in _basic(text):
        expansion = table.get(token)
        if expansion is not None:
            out.extend(expansion)
            continue
        for part in _LETTER_DIGIT.sub(" ", token).split():
            out.extend(table.get(part, (part,)))
    return out


def normalize(text: str) -> str:
    """Lower-case, strip diacritics (đ->d), punctuation->space, expand abbreviations."""
    return " ".join(tokens(text))
