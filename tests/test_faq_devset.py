"""Development set sanity and accuracy floors (slightly below the targets)."""

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from faq.kb import load_knowledge_base
from faq.kb_model import KnowledgeBase
from faq.matcher import Matcher
from faq.normalize import normalize, strip_diacritics

DEVSET = Path(__file__).parent / "data" / "faq_devset.yaml"
TAGS = {"diacritics", "no_diacritics", "abbrev", "typo", "oos", "holdout"}


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def devset() -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = yaml.safe_load(DEVSET.read_text(encoding="utf-8"))[
        "questions"
    ]
    return questions


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


def test_devset_counts_per_tag(devset: list[dict[str, Any]]) -> None:
    counts = Counter(tag for q in devset for tag in q["tags"])
    assert len(devset) >= 250
    assert counts["no_diacritics"] >= 60
    assert counts["abbrev"] >= 30
    assert counts["typo"] >= 20
    assert counts["oos"] >= 40
    for q in devset:
        assert set(q["tags"]) <= TAGS, q
        assert ("oos" in q["tags"]) == (q["id"] is None), q
        assert ("diacritics" in q["tags"]) != ("no_diacritics" in q["tags"]), q


def test_devset_labels_exist(devset: list[dict[str, Any]], kb: KnowledgeBase) -> None:
    unknown = [q["id"] for q in devset if q["id"] is not None and kb.get(q["id"]) is None]
    assert unknown == []


def test_devset_is_independent_of_kb_phrasings(
    devset: list[dict[str, Any]], kb: KnowledgeBase
) -> None:
    phrasings = {normalize(p) for e in kb.entries for p in e.questions}
    copies = [q["q"] for q in devset if normalize(q["q"]) in phrasings]
    assert copies == []


def test_no_diacritics_tag_is_truthful(devset: list[dict[str, Any]]) -> None:
    for q in devset:
        if "no_diacritics" in q["tags"]:
            assert strip_diacritics(q["q"]) == q["q"].lower(), q["q"]


def _top1(matcher: Matcher, questions: list[dict[str, Any]], strip: bool = False) -> float:
    hits = 0
    for q in questions:
        result = matcher.match(strip_diacritics(q["q"]) if strip else q["q"])
        hits += bool(result.suggestions) and result.suggestions[0].entry.id == q["id"]
    return hits / len(questions)


def test_accuracy_floors(matcher: Matcher, devset: list[dict[str, Any]]) -> None:
    in_scope = [q for q in devset if q["id"] is not None]
    with_marks = [q for q in in_scope if "diacritics" in q["tags"]]
    without = [q for q in in_scope if "no_diacritics" in q["tags"]]
    assert _top1(matcher, with_marks) >= 0.88
    assert _top1(matcher, without) >= 0.83
    assert _top1(matcher, in_scope, strip=True) >= 0.83
    top3 = sum(
        q["id"] in {s.entry.id for s in matcher.match(q["q"]).suggestions} for q in in_scope
    ) / len(in_scope)
    assert top3 >= 0.95
    wrong = sum(
        (r := matcher.match(q["q"])).action == "answer"
        and r.entry is not None
        and r.entry.id != q["id"]
        for q in in_scope
    ) / len(in_scope)
    assert wrong <= 0.05


def test_out_of_scope_is_not_answered(matcher: Matcher, devset: list[dict[str, Any]]) -> None:
    oos = [q for q in devset if q["id"] is None]
    answered = [q["q"] for q in oos if matcher.match(q["q"]).action == "answer"]
    fallback = sum(matcher.match(q["q"]).action == "fallback" for q in oos) / len(oos)
    assert len(answered) <= 0.05 * len(oos), answered
    assert fallback >= 0.85
