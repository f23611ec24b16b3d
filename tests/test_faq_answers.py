"""The answer text for a situation: features on or off, the campaign calendar, validity windows."""

import datetime
from pathlib import Path

import pytest

from faq.answers import (
    Situation,
    answer_for,
    campaign_phase,
    default_campaign_year,
    is_visible,
    visible_entries,
)
from faq.kb import load_knowledge_base
from faq.kb_model import KNOWN_FEATURES, FaqEntry, KnowledgeBase
from faq.matcher import Matcher

D = datetime.date
NOV = D(2026, 11, 28)


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


def entry(kb: KnowledgeBase, faq_id: str) -> FaqEntry:
    found = kb.get(faq_id)
    assert found is not None, faq_id
    return found


@pytest.mark.parametrize(
    ("today", "year"),
    [
        (D(2026, 3, 1), 2026),
        (D(2026, 10, 1), 2026),
        (D(2026, 10, 10), 2026),
        (D(2026, 10, 11), 2027),
        (D(2026, 12, 31), 2027),
    ],
)
def test_default_campaign_year_is_the_next_october_to_come(today: D, year: int) -> None:
    assert default_campaign_year(today) == year
    assert Situation.on(today).campaign_year == year
    assert Situation.on(today, campaign_year=2030).campaign_year == 2030


def test_campaign_phases() -> None:
    assert campaign_phase(D(2026, 9, 30), 2026) == "before"
    assert campaign_phase(D(2026, 10, 1), 2026) == "during"
    assert campaign_phase(D(2026, 10, 10), 2026) == "during"
    assert campaign_phase(D(2026, 10, 11), 2026) == "after"
    assert campaign_phase(D(2026, 11, 28), 2027) == "before"


def test_an_entry_about_a_feature_that_is_off_gives_its_honest_alternative(
    kb: KnowledgeBase,
) -> None:
    reminders = entry(kb, "bot-reminders")
    on = answer_for(reminders, Situation.on(NOV, features=KNOWN_FEATURES))
    off = answer_for(reminders, Situation.on(NOV, features=("signup",)))
    assert on is not None and off is not None
    assert on.action == "reminders" and "bấm nút" in on.text.lower()
    assert off.action is None and off.text == reminders.unavailable
    assert "chưa có chức năng nhắc lịch" in off.text


def test_an_entry_about_a_feature_that_is_off_without_alternative_is_hidden(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    cancel = entry(kb, "bot-cancel-signup")
    no_signup = Situation.on(NOV, features=("reminders", "volunteers"))
    assert is_visible(cancel, Situation.on(NOV))
    assert not is_visible(cancel, no_signup)
    assert answer_for(cancel, no_signup) is None
    assert cancel not in visible_entries(kb, no_signup, cancel.topic)
    assert cancel in visible_entries(kb, Situation.on(NOV), cancel.topic)
    question = "tôi muốn hủy đăng ký buổi hỗ trợ đã đăng ký"
    assert matcher.match(question, Situation.on(NOV)).entry == cancel
    hidden = matcher.match(question, no_signup)
    assert hidden.entry != cancel
    assert cancel not in [s.entry for s in hidden.suggestions]


def test_feature_sentences_follow_the_features_that_are_on(kb: KnowledgeBase) -> None:
    what = entry(kb, "bot-what-can-do")
    texts = {
        features: answer_for(what, Situation.on(NOV, features=features)).text  # type: ignore[union-attr]
        for features in [(), ("signup",), KNOWN_FEATURES]
    }
    assert texts[()].startswith(what.answer)
    assert "đăng ký" not in texts[()] and "nhắc" not in texts[()]
    assert "tình nguyện viên" not in texts[()]
    assert "đăng ký buổi hỗ trợ" in texts[("signup",)] and "nhắc" not in texts[("signup",)]
    assert all(word in texts[KNOWN_FEATURES] for word in ("đăng ký", "nhắc", "tình nguyện viên"))


def test_action_buttons_need_their_feature(kb: KnowledgeBase) -> None:
    for item in kb.entries:
        if item.action not in {"signup", "reminders", "volunteer"}:
            continue
        answer = answer_for(item, Situation.on(NOV, features=()))
        assert answer is None or answer.action is None, item.id
        full = answer_for(item, Situation.on(NOV))
        assert full is not None and full.action == item.action, item.id


def test_no_answer_promises_a_feature_that_is_off(kb: KnowledgeBase) -> None:
    """With every feature off, no text sends the citizen to the bot's own features."""
    promises = ("bấm nút", "trợ lý có thể nhắc", "nhắn tình nguyện viên", "gặp tình nguyện viên")
    situation = Situation.on(NOV, features=())
    for item in kb.entries:
        answer = answer_for(item, situation)
        if answer is None:
            continue
        text = answer.text.lower()
        for promise in promises:
            if promise == "bấm nút" and item.action in {"topics", "my_data"}:
                continue  # those buttons are always there
            assert promise not in text, (item.id, promise)


def test_campaign_placeholders_are_filled(kb: KnowledgeBase) -> None:
    reminders = entry(kb, "bot-reminders")
    before = answer_for(reminders, Situation.on(NOV))
    assert before is not None and "1 đến 10/10/2027" in before.text
    during = answer_for(reminders, Situation.on(D(2027, 10, 3)))
    assert during is not None and "đang diễn ra" in during.text and "2027" in during.text
    after = answer_for(reminders, Situation.on(NOV, campaign_year=2026))
    assert after is not None and "1–10/10/2026 đã kết thúc" in after.text
    first = entry(kb, "day-first-year")
    text = answer_for(first, Situation.on(NOV)).text  # type: ignore[union-attr]
    assert "10/10/2027" in text and "lần thứ 6" in text


WINDOW = """\
topic: {id: t, title: T, checked: 2026-02-01}
entries:
  - id: event
    questions: [Ngày hội diễn ra khi nào]
    answer: Ngày hội sắp diễn ra vào 20/11/2026.
    after: Ngày hội đã diễn ra ngày 20/11/2026.
    valid_until: 2026-11-20
    sources: [https://snv.quangngai.gov.vn/a]
  - id: coming-rule
    questions: [Quy định mới áp dụng khi nào]
    answer: Quy định mới áp dụng từ 01/01/2027.
    valid_from: 2027-01-01
    valid_until: 2027-12-31
    after: Quy định đã được thay.
    sources: [https://snv.quangngai.gov.vn/b]
"""


def test_validity_windows(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(WINDOW, encoding="utf-8")
    small = load_knowledge_base(tmp_path)
    event, rule = small.entries
    assert "sắp diễn ra" in answer_for(event, Situation.on(D(2026, 11, 20))).text  # type: ignore[union-attr]
    assert "đã diễn ra" in answer_for(event, Situation.on(D(2026, 11, 21))).text  # type: ignore[union-attr]
    assert answer_for(rule, Situation.on(D(2026, 12, 31))) is None
    assert not is_visible(rule, Situation.on(D(2026, 12, 31)))
    assert answer_for(rule, Situation.on(D(2027, 1, 1))).text == rule.answer  # type: ignore[union-attr]
    assert answer_for(rule, Situation.on(D(2028, 1, 1))).text == rule.after  # type: ignore[union-attr]
    matcher = Matcher(small)
    assert matcher.match("quy định mới áp dụng khi nào", Situation.on(D(2026, 12, 1))).entry is None
    assert matcher.match("quy định mới áp dụng khi nào", Situation.on(D(2027, 2, 1))).entry == rule
