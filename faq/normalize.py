"""Vietnamese text normalizer: Unicode form, case, diacritics, punctuation, abbreviations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml

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
        raw = yaml.safe_load(fh) or {}
    table: dict[str, tuple[str, ...]] = {}
    for key, value in (raw.get("abbreviations") or {}).items():
        key_tokens = _basic(str(key))
        if len(key_tokens) != 1:
            raise ValueError(f"{path}: abbreviation key {key!r} must be a single word")
        table[key_tokens[0]] = tuple(_basic(str(value)))
    return table


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
