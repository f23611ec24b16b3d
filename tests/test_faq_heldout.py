"""Held-out citizen questions: the frozen labels stay frozen, and accuracy floors on them.

The questions were written by someone who had not read the knowledge base, and labelled
(against the knowledge base of 74a575f) before any matcher ran on them. The figures are
printed by benchmarks/faq_bench.py; the floors here sit a little below them, so a
regression fails the suite without the set becoming something to tune to.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from faq.kb import load_knowledge_base
from faq.kb_model import KnowledgeBase
from faq.matcher import Matcher
from faq.normalize import normalize

HELDOUT = Path(__file__).parent / "data" / "faq_heldout_citizens.yaml"
# sha256 of [[text, expected], ...] as committed at the freeze.
FROZEN = "c53f413ab6e80804429ec6af8763f244988b61f9992e30cd887a96f3f8598fe7"
NOT_AN_ENTRY = {"none", "out_of_scope", "smalltalk"}
STYLES = {"diacritics", "no_diacritics", "abbreviation", "typo", "teencode", "elderly", "long"}


def _ids(value: Any) -> set[str]:
    return set(value) if isinstance(value, list) else {str(value)}


@pytest.fixture(scope="module")
def questions() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = yaml.safe_load(HELDOUT.read_text(encoding="utf-8"))["questions"]
    return items


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def test_the_frozen_labels_have_not_moved(questions: list[dict[str, Any]]) -> None:
    pairs = [[q["text"], q["expected"]] for q in questions]
    digest = hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode()).hexdigest()
    assert digest == FROZEN


def test_shape_and_labels(questions: list[dict[str, Any]], kb: KnowledgeBase) -> None:
    assert len(questions) >= 150
    known = {e.id for e in kb.entries}
    for q in questions:
        assert set(q["style"]) <= STYLES, q
        assert (q["topic"] == "out_of_scope") == (_ids(q["expected"]) == {"out_of_scope"}), q
        # Entries are never renamed, so every original label still names an entry.
        assert _ids(q["expected"]) - NOT_AN_ENTRY <= known, q
        if "expected_after" in q:
            assert _ids(q["expected_after"]) <= known, q


# Short questions that the original knowledge base already phrased the same way (they
# were written independently, before the freeze); nothing may be added to this list.
SAME_AS_ORIGINAL_PHRASINGS = {
    "tổng đài 1022 la gi",
    "quét mã qr tra tien co an toan ko",
    "vietqr la gi",
    "so suc khoe dien tu la gi",
    "ngay chuyen doi so quoc gia la ngay nao",
    "kế hoạch 148 của ubnd tinh quang ngai la gi",
    "binh dan hoc vu so la gi",
    "cds la gi",
    "de an 06 la gi",
}


def test_questions_are_not_copied_into_the_knowledge_base(
    questions: list[dict[str, Any]], kb: KnowledgeBase
) -> None:
    phrasings = {normalize(p) for e in kb.entries for p in (*e.questions, *e.keywords)}
    copied = {q["text"] for q in questions if normalize(q["text"]) in phrasings}
    assert copied <= SAME_AS_ORIGINAL_PHRASINGS


def test_accuracy_floors(questions: list[dict[str, Any]], kb: KnowledgeBase) -> None:
    matcher = Matcher(kb)
    known = {e.id for e in kb.entries}
    covered, oos = [], []
    for q in questions:
        ids = _ids(q["expected"]) | _ids(q.get("expected_after", q["expected"]))
        if ids == {"out_of_scope"}:
            oos.append(q["text"])
        elif ids - NOT_AN_ENTRY & known:
            covered.append((q["text"], ids & known))
    results = {text: matcher.match(text) for text, _ in covered}
    top1 = sum(
        bool(results[t].suggestions) and results[t].suggestions[0].entry.id in ids
        for t, ids in covered
    ) / len(covered)
    top3 = sum(
        bool({s.entry.id for s in results[t].suggestions} & ids) for t, ids in covered
    ) / len(covered)
    answers = [(results[t].entry, ids) for t, ids in covered if results[t].action == "answer"]
    wrong = sum(entry is None or entry.id not in ids for entry, ids in answers) / len(covered)
    answered_oos = [t for t in oos if matcher.match(t).action == "answer"]
    assert top1 >= 0.80
    assert top3 >= 0.90
    assert wrong <= 0.07
    assert answered_oos == []
