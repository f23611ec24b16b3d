"""The words of a question: stopwords, word pairs and the kind of answer it asks for."""

from __future__ import annotations

import itertools
from collections import defaultdict

from faq.normalize import join_phrases, tokens

# Particles and pronouns that say nothing about the topic (normalized forms).
# Only words that are rarely a syllable of a meaningful compound are listed.
_STOPWORD_TEXT = """
    a ah ak oi nhe nha nhi ha hay hoac voi va thi la ma cua cho toi minh em anh bac
    ong ba chau ban ho no chung cac nhung mot cai chiec gi sao nao the nhu vay z gium dum
    giup xin vui long lam on hoi biet u uh ay do kia nay rang duoc khong co
    can phai muon nen se da dang roi nua lai cung luon rat qua nhieu it thoi
    di ad admin bot ja ve
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# What a question asks for, from its question words (normalized): a "khi nào" question
# wants a date, an "ở đâu" one a place. Longest phrases first.
_QUESTION_KINDS: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    sorted(
        (
            (tuple(phrase.split()), kind)
            for kind, phrases in {
                "when": [
                    "khi nao",
                    "bao gio",
                    "luc nao",
                    "ngay nao",
                    "ngay may",
                    "may gio",
                    "tu bao gio",
                    "tu khi nao",
                    "nam nao",
                    "thang nao",
                ],
                "where": ["o dau", "cho nao", "noi nao", "den dau", "o cho nao", "tai dau"],
                "who": ["ai", "co quan nao", "don vi nao", "bo nao", "so nao"],
                "why": ["tai sao", "vi sao", "sao lai", "ly do"],
                "amount": ["bao nhieu", "may", "muc phi"],
                "how": [
                    "the nao",
                    "nhu the nao",
                    "lam sao",
                    "ra sao",
                    "cach nao",
                    "bang cach nao",
                    "kieu gi",
                    "lam gi",
                ],
                "what": ["la gi", "cai gi", "nhung gi", "gi"],
            }.items()
            for phrase in phrases
        ),
        key=lambda pair: -len(pair[0]),
    )
)


_KINDS_BY_FIRST: dict[str, list[tuple[tuple[str, ...], str]]] = defaultdict(list)
for _phrase, _kind in _QUESTION_KINDS:
    _KINDS_BY_FIRST[_phrase[0]].append((_phrase, _kind))


def question_kinds(words: list[str]) -> frozenset[str]:
    """The kinds of answer the question words ask for ("when", "where", ...)."""
    found: set[str] = set()
    i = 0
    while i < len(words):
        for phrase, kind in _KINDS_BY_FIRST.get(words[i], ()):
            if tuple(words[i : i + len(phrase)]) == phrase:
                found.add(kind)
                i += len(phrase)
                break
        else:
            i += 1
    return frozenset(found)


def word_units(text: str) -> list[str]:
    """Normalized tokens with known word groups joined into units."""
    return join_phrases(tokens(text))


def bigrams(words: list[str]) -> list[str]:
    """Neighbouring words as pairs ("a b")."""
    return [f"{a} {b}" for a, b in itertools.pairwise(words)]
