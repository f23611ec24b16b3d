"""Knowledge base loading and the author checks."""

import datetime
import re
from pathlib import Path

import pytest

from faq.kb import (
    ACTIONS,
    MAX_ANSWER_CHARS,
    KnowledgeBaseError,
    check_knowledge_base,
    default_data_dir,
    load_knowledge_base,
)

# The project's reference folder sits beside the repository when it is checked out with it.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"

GOOD_TOPIC = """\
topic: {id: test, title: Chủ đề thử}
entries:
  - id: test-one
    questions: ["Câu hỏi một là gì?", "Hỏi một"]
    answer: Trả lời một.
    sources: [https://example.gov.vn/a]
    checked: 2026-11-28
"""


def write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text, encoding="utf-8")
    return tmp


def test_shipped_kb_is_clean() -> None:
    assert check_knowledge_base() == []


def test_shipped_kb_size_and_shape() -> None:
    kb = load_knowledge_base()
    assert len(kb.entries) >= 80
    assert len(kb.topics) >= 10
    for entry in kb.entries:
        assert 4 <= len(entry.questions) <= 8, entry.id
        assert len(entry.answer) <= MAX_ANSWER_CHARS
        assert entry.sources and all(s.startswith(("http://", "https://")) for s in entry.sources)
        assert entry.checked == datetime.date(2026, 11, 28)
        assert entry.action is None or entry.action in ACTIONS
    assert kb.get("vneid-forgot-password") is not None
    assert kb.get("nope") is None
    assert all(e.topic == "vneid" for e in kb.in_topic("vneid"))
    campaign = (default_data_dir() / "campaign.yaml").read_text(encoding="utf-8")
    assert campaign.startswith("# LOCAL CAMPAIGN DATA")


def test_bot_feature_entries_offer_their_actions() -> None:
    kb = load_knowledge_base()
    actions = {e.action for e in kb.entries}
    assert {"signup", "reminders", "volunteer", "my_data", "topics"} <= actions


def test_no_outdated_agencies_in_answers() -> None:
    kb = load_knowledge_base()
    for entry in kb.entries:
        text = entry.answer.lower()
        assert "công an huyện" not in text or "không còn" in text, entry.id
        assert "liên hệ sở thông tin" not in text, entry.id


@pytest.mark.skipif(not (REFERENCE / "domain-facts.md").exists(), reason="reference not present")
def test_every_source_is_copied_from_the_reference() -> None:
    reference = (REFERENCE / "domain-facts.md").read_text(encoding="utf-8")
    known = set(re.findall(r"https?://\S+", reference))
    for entry in load_knowledge_base().entries:
        for source in entry.sources:
            assert source in known, f"{entry.id}: {source}"


def test_minimal_kb_loads(tmp_path: Path) -> None:
    kb = load_knowledge_base(write(tmp_path, "t.yaml", GOOD_TOPIC))
    assert [e.id for e in kb.entries] == ["test-one"]
    assert kb.topics[0].title == "Chủ đề thử"


def test_each_problem_is_reported(tmp_path: Path) -> None:
    long_answer = "x" * (MAX_ANSWER_CHARS + 1)
    write(tmp_path, "a.yaml", GOOD_TOPIC)
    write(
        tmp_path,
        "b.yaml",
        f"""\
topic: {{id: other, title: Khác}}
entries:
  - id: test-one
    questions: [Câu khác]
    answer: Trả lời.
    sources: [https://example.gov.vn/b]
    checked: 2026-11-28
  - id: no-answer
    questions: [Không có trả lời]
    sources: [https://example.gov.vn/c]
    checked: 2026-11-28
  - id: empty-answer
    questions: [Trả lời rỗng]
    answer: "   "
    sources: [https://example.gov.vn/c]
    checked: 2026-11-28
  - id: too-long
    questions: [Dài quá]
    answer: {long_answer}
    sources: [https://example.gov.vn/d]
    checked: 2026-11-28
  - id: bad-link
    questions: [Link hỏng]
    answer: Trả lời.
    sources: [example.gov.vn/e, "ftp://x.vn/f"]
    checked: 2026-11-28
  - id: wrong-topic
    topic: nowhere
    questions: [Sai chủ đề]
    answer: Trả lời.
    sources: [https://example.gov.vn/g]
    checked: 2026-11-28
  - id: collide
    questions: ["CÂU HỎI MỘT LÀ GÌ"]
    answer: Trả lời.
    sources: [https://example.gov.vn/h]
    checked: 2026-11-28
  - id: bad-action
    questions: [Hành động lạ]
    answer: Trả lời.
    sources: [https://example.gov.vn/i]
    checked: 2026-11-28
    action: dance
""",
    )
    problems = "\n".join(check_knowledge_base(tmp_path))
    assert "duplicate entry id 'test-one'" in problems
    assert "'no-answer': missing field(s) answer" in problems
    assert "'empty-answer': empty answer" in problems
    assert "'too-long': answer too long" in problems
    assert "'bad-link': malformed link 'example.gov.vn/e'" in problems
    assert "malformed link 'ftp://x.vn/f'" in problems
    assert "'wrong-topic': unknown topic 'nowhere'" in problems
    assert "'collide': phrasing 'CÂU HỎI MỘT LÀ GÌ' collides with entry 'test-one'" in problems
    assert "'bad-action': unknown action 'dance'" in problems
    with pytest.raises(KnowledgeBaseError, match="duplicate entry id"):
        load_knowledge_base(tmp_path)


def test_broken_yaml_and_missing_topic_header(tmp_path: Path) -> None:
    write(tmp_path, "broken.yaml", "topic: [unclosed\n")
    write(tmp_path, "nohead.yaml", "entries: []\n")
    problems = check_knowledge_base(tmp_path)
    assert any(p.startswith("broken.yaml: cannot read YAML") for p in problems)
    assert any(p.startswith("nohead.yaml: missing 'topic") for p in problems)


def test_empty_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="no topic files"):
        load_knowledge_base(tmp_path)
