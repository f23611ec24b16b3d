"""Detect conversation that is not a question (greetings, thanks, help, bye, ok)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from faq.normalize import tokens
from faq.yamlfile import load_yaml

SMALLTALK_FILE = Path(__file__).parent / "data" / "smalltalk.yaml"


@dataclass(frozen=True)
class SmalltalkRules:
    """Phrases per intent (as token tuples, longest first), filler words and emoji."""

    phrases: tuple[tuple[tuple[str, ...], str], ...]
    filler: frozenset[str]
    emoji: tuple[tuple[str, str], ...]
    priority: tuple[str, ...]


@lru_cache(maxsize=4)
def load_rules(path: Path = SMALLTALK_FILE) -> SmalltalkRules:
    """Load the smalltalk rules once."""
    with path.open(encoding="utf-8") as fh:
        raw = load_yaml(fh) or {}
    phrases: list[tuple[tuple[str, ...], str]] = []
    for intent, items in (raw.get("intents") or {}).items():
        for item in items:
            toks = tuple(tokens(str(item)))
            if toks:
                phrases.append((toks, str(intent)))
    phrases.sort(key=lambda p: -len(p[0]))
    filler = frozenset(t for item in raw.get("filler") or [] for t in tokens(str(item)))
    emoji = tuple((str(k), str(v)) for k, v in (raw.get("emoji") or {}).items())
    intents = tuple(str(i) for i in raw.get("priority") or [])
    return SmalltalkRules(tuple(phrases), filler, emoji, intents)


def detect_smalltalk(
    text: str, words: list[str], rules: SmalltalkRules | None = None
) -> str | None:
    """Return the smalltalk intent of a message, or None if it asks something.

    ``words`` is the normalized token list of ``text``.
    """
    rules = rules or load_rules()
    if not words:
        found = [intent for mark, intent in rules.emoji if mark in text]
        return found[0] if found else None
    if len(words) > 12:
        return None
    seen: set[str] = set()
    rest: list[str] = []
    i = 0
    while i < len(words):
        for phrase, intent in rules.phrases:
            if tuple(words[i : i + len(phrase)]) == phrase:
                seen.add(intent)
                i += len(phrase)
                break
        else:
            rest.append(words[i])
            i += 1
    if any(w not in rules.filler for w in rest):
        return None
    if not seen:
        return "greeting"  # only pronouns/particles, e.g. "bạn ơi"
    return next((p for p in rules.priority if p in seen), sorted(seen)[0])


COURTESY = frozenset({"greeting", "thanks", "bye"})


def strip_courtesy(words: list[str], rules: SmalltalkRules | None = None) -> list[str]:
    """Drop greetings/thanks at the start or end of a question ("chào bạn, cho hỏi ...")."""
    rules = rules or load_rules()
    courtesy = [p for p, intent in rules.phrases if intent in COURTESY]
    changed = True
    while changed and words:
        changed = False
        for phrase in courtesy:
            n = len(phrase)
            if len(words) > n and tuple(words[:n]) == phrase:
                words, changed = words[n:], True
            elif len(words) > n and tuple(words[-n:]) == phrase:
                words, changed = words[:-n], True
    return words
