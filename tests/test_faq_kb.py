"""Knowledge base loading and the author checks."""

import datetime
import re
from pathlib import Path

import pytest

from faq.kb import (
    check_knowledge_base,
    default_data_dir,
    load_knowledge_base,
    months_before,
    stale_entries,
)
from faq.kb_model import ACTIONS, KNOWN_FEATURES, MAX_ANSWER_CHARS, KnowledgeBaseError

# The project's reference folder sits beside the repository (or a level above a worktree).
REFERENCE = next(
    (
        p / "shared" / "reference"
        for p in Path(__file__).resolve().parents[1:4]
        if (p / "shared" / "reference").is_dir()
    ),
    Path("shared") / "reference",
)

GOOD_TOPIC = """\
topic: {id: test, title: Chủ đề thử}
entries:
  - id: test-one
    questions: ["Câu hỏi một là gì?", "Hỏi một"]
    answer: Trả lời một.
    sources: [https://example.gov.vn/a]
    checked: 2026-11-28
"""

PUBLISHERS = """\
kinds: [government, newspaper, company]
publishers:
  example.gov.vn: {name: Cơ quan Mẫu, kind: government}
  example.com: {name: Báo Mẫu, kind: newspaper}
  blog.example.org: {name: Blog Mẫu, kind: company}
"""


def write(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).write_text(text, encoding="utf-8")
    if not (tmp / "publishers.yaml").exists():
        (tmp / "publishers.yaml").write_text(PUBLISHERS, encoding="utf-8")
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
        assert entry.action is None or entry.action in ACTIONS
        assert entry.feature is None or entry.feature in KNOWN_FEATURES
        assert len(entry.citations) == len(entry.sources)
        assert all(s.publisher and s.checked == entry.checked for s in entry.citations)
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


def test_shipped_check_dates_are_not_after_the_reference() -> None:
    # The facts were verified against the reference (archived pages up to about
    # February 2026), so checking as of a January 2026 day must flag every date as future.
    problems = check_knowledge_base(today=datetime.date(2026, 1, 15))
    entries = load_knowledge_base().entries
    assert len(problems) == len(entries)
    assert all("is in the future" in p for p in problems)
    assert check_knowledge_base(today=datetime.date(2026, 2, 1)) == []


def test_future_check_dates_fail_the_check(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        GOOD_TOPIC
        + """\
  - id: test-two
    questions: [Câu hai]
    answer: Trả lời hai.
    sources:
      - https://example.gov.vn/b
      - {url: "https://example.com/c", checked: 2027-03-01}
    checked: 2026-11-01
""",
    )
    problems = check_knowledge_base(tmp_path, today=datetime.date(2026, 12, 1))
    assert problems == [
        "entry 'test-two': check date 2027-03-01 is in the future (today is 2026-12-01); "
        "write the day the fact was verified"
    ]
    assert check_knowledge_base(tmp_path, today=datetime.date(2027, 3, 1)) == []
    # Loading (at run time) does not depend on the clock.
    assert load_knowledge_base(tmp_path).get("test-two") is not None


def test_sources_carry_publisher_and_date_most_authoritative_first(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
topic: {id: test, title: Thử, checked: 2026-02-01}
entries:
  - id: ranked
    questions: [Câu xếp hạng]
    answer: Trả lời.
    sources:
      - https://blog.example.org/x
      - https://www.example.com/y
      - {url: "https://sub.example.gov.vn/z", checked: 2026-03-05}
      - https://example.com/w
""",
    )
    entry = load_knowledge_base(tmp_path).entries[0]
    assert entry.sources[0] == "https://blog.example.org/x"  # as written
    assert [(s.publisher, s.checked.isoformat()) for s in entry.citations] == [
        ("Cơ quan Mẫu", "2026-03-05"),  # parent domain example.gov.vn
        ("Báo Mẫu", "2026-02-01"),  # www. is ignored
        ("Báo Mẫu", "2026-02-01"),
        ("Blog Mẫu", "2026-02-01"),
    ]
    assert [s.url[-1] for s in entry.citations] == ["z", "y", "w", "x"]
    assert entry.last_checked() == datetime.date(2026, 2, 1)


def test_shipped_government_sources_rank_before_newspapers_and_aggregators() -> None:
    kb = load_knowledge_base()
    lead = kb.get("campaign-lead")  # written: a provincial department, then a law aggregator
    assert lead is not None
    assert [s.kind for s in lead.citations] == ["government", "aggregator"]
    mixed = [e for e in kb.entries if len({s.kind for s in e.citations}) > 1]
    assert mixed
    for entry in mixed:
        ranks = [s.rank for s in entry.citations]
        assert ranks == sorted(ranks), entry.id
    for entry in kb.entries:
        for source in entry.citations:
            host = source.url.split("/")[2]
            assert (source.kind == "government") == host.endswith(".gov.vn"), source.url


def test_stale_entries_lists_what_is_due(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        """\
topic: {id: test, title: Thử, checked: 2026-02-01}
entries:
  - id: old
    questions: [Câu cũ]
    answer: Trả lời.
    sources: [https://example.com/a]
  - id: fresh
    questions: [Câu mới]
    answer: Trả lời.
    sources: [https://example.com/b]
    checked: 2026-10-20
  - id: one-old-source
    questions: [Một nguồn cũ]
    answer: Trả lời.
    sources: [https://example.com/c, {url: "https://example.com/d", checked: 2025-12-31}]
    checked: 2026-10-20
""",
    )
    kb = load_knowledge_base(tmp_path)
    due = stale_entries(kb, datetime.date(2026, 12, 1), 6)
    assert [(e.id, d.isoformat()) for e, d in due] == [
        ("one-old-source", "2025-12-31"),
        ("old", "2026-02-01"),
    ]
    assert stale_entries(kb, datetime.date(2026, 12, 1), 11) == [
        (kb.entries[2], datetime.date(2025, 12, 31))
    ]


def test_months_before() -> None:
    assert months_before(datetime.date(2026, 12, 1), 6) == datetime.date(2026, 6, 1)
    assert months_before(datetime.date(2026, 3, 31), 1) == datetime.date(2026, 2, 28)
    assert months_before(datetime.date(2026, 1, 15), 13) == datetime.date(2024, 12, 15)
    assert months_before(datetime.date(2024, 3, 31), 1) == datetime.date(2024, 2, 29)


ENTRY = """\
  - id: {id}
    questions: [{question}]
    answer: {answer}
    sources: [https://example.gov.vn/{id}]
    checked: 2026-02-01
{extra}"""


def _problems(tmp_path: Path, **entries: tuple[str, str]) -> str:
    body = "".join(
        ENTRY.format(id=eid, question=f"Câu {eid}", answer=answer, extra=extra)
        for eid, (answer, extra) in entries.items()
    )
    write(tmp_path, "a.yaml", "topic: {id: t, title: T}\nentries:\n" + body)
    return "\n".join(check_knowledge_base(tmp_path, today=datetime.date(2026, 12, 1)))


def test_feature_names_are_checked(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        ok=("Trả lời.", "    feature: reminders\n    unavailable: Chưa có.\n"),
        typo=("Trả lời.", "    feature: reminder\n"),
        note=("Trả lời.", "    with_feature: {volunteer: Nhắn tình nguyện viên.}\n"),
        lonely=("Trả lời.", "    unavailable: Chưa có.\n"),
    )
    assert "'typo': unknown feature 'reminder'" in problems
    assert "'note': unknown feature 'volunteer' in with_feature" in problems
    assert "'lonely': 'unavailable' is only used with 'feature'" in problems
    assert "'ok'" not in problems
    # The caller decides which names are valid (the core passes its registry's list).
    write(
        tmp_path,
        "a.yaml",
        "topic: {id: t, title: T}\nentries:\n"
        + ENTRY.format(id="x", question="Câu x", answer="Trả lời.", extra="    feature: zalo\n"),
    )
    assert check_knowledge_base(tmp_path, today=datetime.date(2026, 12, 1)) != []
    assert (
        check_knowledge_base(tmp_path, today=datetime.date(2026, 12, 1), features=("zalo",)) == []
    )


def test_time_bound_entries_need_an_after_text(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        camp=("Từ 1–10/10/{campaign_year}.", "    campaign: true\n"),
        window=("Đang diễn ra.", "    valid_until: 2026-10-10\n"),
        good=("Năm {campaign_year}.", "    campaign: true\n    after: Đã xong.\n"),
        dead=("Trả lời.", "    after: Không bao giờ dùng.\n"),
        during=("Trả lời.", "    during: Không bao giờ dùng.\n"),
        frozen=("Năm {campaign_year}.", ""),
        unknown=("Năm {nam_nay}.", "    campaign: true\n    after: Xong.\n"),
        brace=("Một {ngoặc.", "    campaign: true\n    after: Xong.\n"),
        order=(
            "Trả lời.",
            "    valid_from: 2026-05-01\n    valid_until: 2026-04-01\n    after: Xong.\n",
        ),
    )
    assert "'camp': time-bound entry has no 'after' text" in problems
    assert "'window': time-bound entry has no 'after' text" in problems
    assert "'good'" not in problems
    assert "'dead': 'after' needs 'campaign: true' or 'valid_until'" in problems
    assert "'during': 'during' needs 'campaign: true'" in problems
    assert "'frozen': {campaign_year} is only used with 'campaign: true'" in problems
    assert "'unknown': unknown placeholder {nam_nay}" in problems
    assert "'brace': unmatched brace" in problems
    assert "'order': valid_from is after valid_until" in problems


def test_a_text_pointing_at_a_feature_button_must_survive_the_feature(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        bad=("Bấm nút bên dưới để nhắn tình nguyện viên.", "    action: volunteer\n"),
        note=(
            "Hỏi trưởng thôn.",
            "    action: volunteer\n    with_feature: {volunteers: Hoặc bấm nút bên dưới.}\n",
        ),
        declared=(
            "Bấm nút bên dưới để đăng ký.",
            "    action: signup\n    feature: signup\n    unavailable: Hỏi UBND xã.\n",
        ),
        topics=("Bấm nút bên dưới để xem chủ đề.", "    action: topics\n"),
    )
    assert "'bad': answer points at the 'volunteer' button" in problems
    for fine in ("'note'", "'declared'", "'topics'"):
        assert fine not in problems


def test_unknown_publisher_fails_the_check(tmp_path: Path) -> None:
    problems = _problems(tmp_path, ok=("Trả lời.", ""))
    assert problems == ""
    write(
        tmp_path,
        "b.yaml",
        """\
topic: {id: u, title: U}
entries:
  - id: nobody
    questions: [Không ai đăng]
    answer: Trả lời.
    sources: [https://unknown-site.vn/a]
    checked: 2026-02-01
""",
    )
    problems = "\n".join(check_knowledge_base(tmp_path, today=datetime.date(2026, 12, 1)))
    assert "'nobody': no publisher known for 'unknown-site.vn' (add it to publishers.yaml)" in (
        problems
    )
