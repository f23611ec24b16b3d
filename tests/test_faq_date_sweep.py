"""Run the whole knowledge base at several dates and check no answer is false for that date.

The checks read the rendered Vietnamese text, so they are about wording: a campaign date
with "sắp"/"sẽ" must still be ahead, one with "đã kết thúc"/"đã diễn ra" must be past, an
offer of reminders must name a 1–10/10 that has not ended, "năm nay" is never frozen in
prose, a "not announced" claim speaks only for the assistant, and "lần thứ N" adds up.
"""

from __future__ import annotations

import datetime
import re

import pytest

from faq.answers import FIRST_NATIONAL_DAY_YEAR, Situation, answer_for
from faq.kb import load_knowledge_base
from faq.kb_model import KNOWN_FEATURES, KnowledgeBase

D = datetime.date

# (label, today, configured CAMPAIGN_YEAR or None for the default)
SWEEP = [
    ("before the campaign", D(2026, 9, 15), None),
    ("first day", D(2026, 10, 1), None),
    ("during the campaign", D(2026, 10, 5), None),
    ("National Day itself", D(2026, 10, 10), None),
    ("the day after", D(2026, 10, 11), None),
    ("late November, default year", D(2026, 11, 28), None),
    ("late November, year still set to the past campaign", D(2026, 11, 28), 2026),
    ("a year later, default year", D(2027, 11, 28), None),
    ("a year later, year still set", D(2027, 11, 28), 2026),
    ("next campaign, during", D(2027, 10, 3), None),
]
FEATURE_SETS = [KNOWN_FEATURES, ("signup",), ()]

# 1–10/10/2026, 10/10/2026, 1 đến 10/10/2026: the last day counts.
_CAMPAIGN_DATE = re.compile(r"\b(\d{1,2})(?:\s*(?:–|-|đến)\s*(\d{1,2}))?/10/(20\d\d)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n")
_ORDINAL = re.compile(r"10/10/(20\d\d)[^.\n]*?lần thứ (\d+)")
_FUTURE = ("sắp", " sẽ ")
# A sentence that offers reminders (a general "hằng năm" capability is not an offer).
_OFFER = re.compile(r"\b(bấm|bật|có thể (nhắn )?nhắc|sẽ nhắc)\b", re.IGNORECASE)
_PAST = ("đã kết thúc", "đã diễn ra", "đã là lần")


def _dates(sentence: str) -> list[tuple[D, D]]:
    found = []
    for first, last, year in _CAMPAIGN_DATE.findall(sentence):
        start = D(int(year), 10, int(first))
        found.append((start, D(int(year), 10, int(last)) if last else start))
    return found


def falsehoods(text: str, today: D) -> list[str]:
    """What in ``text`` is false or frozen when read on ``today``."""
    problems: list[str] = []
    if "{" in text or "}" in text:
        problems.append("unfilled placeholder")
    if "năm nay" in text.lower():
        problems.append("'năm nay' frozen in prose: name the year")
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    for sentence in sentences:
        lower = sentence.lower()
        dates = _dates(sentence)
        if any(word in lower for word in _FUTURE):
            problems += [f"future tense for past {e}: {sentence}" for _, e in dates if e < today]
        if any(word in lower for word in _PAST):
            problems += [f"past tense for {e}: {sentence}" for _, e in dates if e >= today]
        if "đang diễn ra" in lower and not any(s <= today <= e for s, e in dates):
            problems.append(f"'đang diễn ra' outside its dates: {sentence}")
        if "chưa" in lower and "công bố" in lower and "trợ lý" not in lower:
            problems.append(f"claims for the world what only the assistant knows: {sentence}")
    offers = [
        s
        for s in sentences
        if "nhắc" in s.lower() and _OFFER.search(s) and "hằng năm" not in s.lower()
    ]
    if offers:
        ahead = [e for _, e in _dates(text) if e >= today]
        if not ahead or "đã kết thúc" in text:
            problems.append(f"offers reminders without a 1–10/10 still ahead: {offers[0]}")
    for year, number in _ORDINAL.findall(text):
        if int(number) != int(year) - FIRST_NATIONAL_DAY_YEAR + 1:
            problems.append(f"10/10/{year} is not occasion number {number}")
    return problems


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.mark.parametrize(("label", "today", "year"), SWEEP, ids=[s[0] for s in SWEEP])
def test_no_answer_is_false_on_this_date(
    kb: KnowledgeBase, label: str, today: D, year: int | None
) -> None:
    problems = []
    for features in FEATURE_SETS:
        situation = Situation.on(today, year, features)
        for entry in kb.entries:
            answer = answer_for(entry, situation)
            if answer is None:
                continue
            problems += [f"{entry.id} {features}: {p}" for p in falsehoods(answer.text, today)]
    assert problems == [], label


def test_the_sweep_covers_every_phase_and_a_year_later() -> None:
    phases = {Situation.on(today, year).phase for _, today, year in SWEEP}
    assert phases == {"before", "during", "after"}
    assert max(today for _, today, _ in SWEEP) - min(today for _, today, _ in SWEEP) >= (
        datetime.timedelta(days=365)
    )


def test_time_bound_entries_change_with_the_date(kb: KnowledgeBase) -> None:
    """The campaign entries do not say the same thing before, during and after."""
    bound = [e for e in kb.entries if e.time_bound]
    assert {"bot-reminders", "day-theme-this-year", "day-first-year"} <= {e.id for e in bound}
    for entry in bound:
        texts = {
            answer_for(entry, Situation.on(today, year)).text  # type: ignore[union-attr]
            for today, year in [
                (D(2026, 9, 15), None),
                (D(2026, 10, 5), None),
                (D(2026, 11, 28), 2026),
            ]
        }
        assert len(texts) >= 2, entry.id


@pytest.mark.parametrize(
    ("text", "today", "complaint"),
    [
        # The shapes of the mistakes the original knowledge base made.
        ("Chủ đề năm 2026 hiện chưa thấy công bố.", D(2026, 11, 28), "only the assistant"),
        (
            'Từ 1 đến 10/10, trợ lý gửi tin mỗi ngày.\n1. Bấm nút "Nhắc lịch 1–10/10" bên dưới.',
            D(2026, 11, 28),
            "remind",
        ),
        ("Trợ lý này có thể nhắc bạn mỗi ngày trong đợt 1–10/10.", D(2026, 11, 28), "remind"),
        ("Hoạt động 1–10/10/2026 sắp diễn ra.", D(2026, 11, 28), "future tense"),
        ("Đợt 1–10/10/2027 đã kết thúc.", D(2026, 11, 28), "past tense"),
        ("Đợt 1–10/10/2026 đang diễn ra.", D(2026, 11, 28), "đang diễn ra"),
        ("Chủ đề năm nay là gì.", D(2026, 11, 28), "năm nay"),
        ("Ngày 10/10/2027 là lần thứ 5.", D(2026, 11, 28), "occasion number"),
        ("Năm {campaign_year}.", D(2026, 11, 28), "placeholder"),
    ],
)
def test_the_checks_catch_false_wording(text: str, today: D, complaint: str) -> None:
    assert any(complaint in p for p in falsehoods(text, today)), falsehoods(text, today)


def test_true_wording_passes() -> None:
    today = D(2026, 11, 28)
    assert falsehoods("Từ 1 đến 10/10/2027, trợ lý nhắc.\n1. Bấm nút.", today) == []
    assert falsehoods("Đợt 1–10/10/2026 đã kết thúc.", today) == []
    assert falsehoods("Ngày 10/10/2027 sắp tới là lần thứ 6.", today) == []
    assert falsehoods("Trợ lý chưa có văn bản công bố chủ đề năm 2027.", today) == []
