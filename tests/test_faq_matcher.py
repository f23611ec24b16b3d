"""Matcher outcomes on real phrasings, robustness, and grouping of similar questions."""

import pytest

from faq.grouping import group_similar
from faq.kb import load_knowledge_base
from faq.kb_model import KnowledgeBase
from faq.matcher import Matcher


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        ("quên mật khẩu vneid thì làm sao", "vneid-forgot-password"),
        ("quen mk vneid", "vneid-forgot-password"),
        ("quên passcode", "vneid-forgot-passcode"),
        ("dang ky dinh danh muc 2 o dau", "vneid-level2-register"),
        ("ĐĂNG KÝ ĐỊNH DANH MỨC 2", "vneid-level2-register"),
        ("vì sao chọn ngày 10/10", "day-why-10-10"),
        ("bi lua chuyen tien roi bao o dau", "safety-report-scam"),
        ("mat dien thoai co cai vneid", "vneid-lost-phone"),
        ("chào bạn, cho hỏi quên mật khẩu VNeID", "vneid-forgot-password"),
    ],
)
def test_answers_clear_questions(matcher: Matcher, text: str, faq_id: str) -> None:
    result = matcher.match(text)
    assert result.action == "answer", result
    assert result.entry is not None and result.entry.id == faq_id
    assert 0 < result.score <= 100
    assert result.suggestions[0].entry.id == faq_id


def test_every_kb_phrasing_answers_its_own_entry(matcher: Matcher, kb: KnowledgeBase) -> None:
    misses = []
    for entry in kb.entries:
        for question in entry.questions:
            result = matcher.match(question)
            if result.entry is None or result.entry.id != entry.id:
                misses.append((question, entry.id, result.action))
    assert len(misses) <= 0.03 * sum(len(e.questions) for e in kb.entries), misses


@pytest.mark.parametrize("text", ["vneid", "mức 2", "tài khoản"])
def test_vague_questions_get_three_suggestions(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.action == "suggest"
    assert result.entry is None
    assert len(result.suggestions) == 3
    assert len({s.entry.id for s in result.suggestions}) == 3


@pytest.mark.parametrize(
    "text",
    [
        "giá vàng hôm nay bao nhiêu",
        "ket qua bong da dem qua",
        "tôi bị đau bụng uống thuốc gì",
        "xổ số miền nam hôm nay",
        "cách làm bánh chưng",
        "asdkjh qweoiu",
    ],
)
def test_out_of_scope_falls_back(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.action == "fallback"
    assert result.entry is None


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("xin chào", "greeting"),
        ("Chào bạn!", "greeting"),
        ("alo", "greeting"),
        ("cảm ơn bạn nhiều nhé", "thanks"),
        ("cam on", "thanks"),
        ("tks ad", "thanks"),
        ("🙏", "thanks"),
        ("help", "help"),
        ("giúp tôi với", "help"),
        ("tạm biệt", "bye"),
        ("bye bye", "bye"),
        ("ok", "ok"),
        ("oke bạn", "ok"),
        ("vâng ạ", "ok"),
        ("👍", "ok"),
    ],
)
def test_smalltalk_is_not_answered(matcher: Matcher, text: str, intent: str) -> None:
    result = matcher.match(text)
    assert result.action == "smalltalk"
    assert result.smalltalk == intent
    assert result.entry is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "\x00\x01\x02",
        "x" * 5000,
        "quên mật khẩu " * 400,
        "'; DROP TABLE users; --",
        "1 OR 1=1; SELECT * FROM faq",
        "<script>alert(1)</script>",
    ],
)
def test_odd_input_never_raises(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.action in {"answer", "suggest", "fallback", "smalltalk"}
    assert 0 <= result.score <= 100


def test_empty_and_emoji_only_fall_back(matcher: Matcher) -> None:
    for text in ("", "😀😀"):
        result = matcher.match(text)
        assert result.action == "fallback"
        assert result.suggestions == ()


def test_group_similar_groups_variants_largest_first() -> None:
    texts = [
        "giá vàng hôm nay",
        "quên mật khẩu vneid",
        "Quên mật khẩu VNeID!!",
        "quen mk vneid",
        "",
        "gia vang hom nay",
        "thời tiết mai thế nào",
    ]
    groups = group_similar(texts)
    assert groups[0] == [1, 2, 3]
    assert [0, 5] in groups
    assert [4] in groups and [6] in groups
    assert sorted(i for g in groups for i in g) == list(range(len(texts)))


def test_group_similar_empty_input() -> None:
    assert group_similar([]) == []


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        # "bị khóa" (someone locked it) is not "khóa" (lock it yourself).
        ("tài khoản vneid bị khoá", "vneid-account-locked"),
        ("vneid bi khoa thi lam sao", "vneid-account-locked"),
        ("tk dinh danh bi tam khoa", "vneid-account-locked"),
        ("mở khóa vneid", "vneid-account-locked"),
        ("khóa tài khoản vneid khi mất điện thoại", "vneid-lost-phone"),
        ("muốn khoá vneid vì mất máy", "vneid-lost-phone"),
        ("làm sao khóa tài khoản vneid", "vneid-lost-phone"),
        # A scam text threatening a lock is neither.
        ("tin nhắn báo tài khoản sắp bị khóa", "safety-real-sms"),
        # The phone number is not the phone.
        ("đổi số điện thoại vneid", "vneid-change-phone-number"),
        ("doi sdt vneid", "vneid-change-phone-number"),
        ("đổi điện thoại mới vneid", "vneid-new-phone"),
        ("ko nhan duoc ma otp", "vneid-otp-not-received"),
        ("nộp phạt nguội trên dịch vụ công", "portal-traffic-fines"),
    ],
)
def test_phrases_that_look_alike_are_not_interchangeable(
    matcher: Matcher, text: str, faq_id: str
) -> None:
    result = matcher.match(text)
    assert result.action == "answer", result
    assert result.entry is not None and result.entry.id == faq_id


def test_passive_and_active_lock_rank_the_other_entry_lower(matcher: Matcher) -> None:
    locked = matcher.match("tài khoản vneid bị khóa")
    lock_it = matcher.match("khóa tài khoản vneid")
    assert locked.suggestions[0].entry.id == "vneid-account-locked"
    assert lock_it.suggestions[0].entry.id == "vneid-lost-phone"
    gap = {s.entry.id: s.score for s in locked.suggestions}
    assert gap["vneid-account-locked"] - gap.get("vneid-lost-phone", 0) >= 15


@pytest.mark.parametrize(
    ("text", "faq_id"),
    [
        # Telex keys left unconverted by the keyboard.
        ("quenf mk vneid", "vneid-forgot-password"),
        ("ddawng kys ddinhj danh muc 2 o ddau", "vneid-level2-register"),
        # A word split in two.
        ("vn eid la gi", "vneid-what"),
    ],
)
def test_keyboard_slips_are_repaired(matcher: Matcher, text: str, faq_id: str) -> None:
    result = matcher.match(text)
    assert result.suggestions and result.suggestions[0].entry.id == faq_id, result


def test_repairs_never_touch_known_words(matcher: Matcher) -> None:
    # "thi" and "so" are real words; Telex stripping and joining apply to unknown ones only.
    assert matcher._untelex("ddinhj") == "dinh"
    assert matcher._untelex("vneid") is None
    assert matcher._merge_split(["so", "dien", "thoai"]) == ["so", "dien", "thoai"]
    assert matcher._merge_split(["vn", "eid"]) == ["vneid"]


def test_question_kinds() -> None:
    from faq.normalize import tokens
    from faq.question_words import question_kinds

    assert question_kinds(tokens("hoạt động diễn ra khi nào")) == {"when"}
    assert question_kinds(tokens("có những hoạt động gì")) == {"what"}
    assert question_kinds(tokens("đăng ký ở đâu, mất bao nhiêu tiền")) == {"where", "amount"}
    assert question_kinds(tokens("vneid")) == frozenset()


def test_a_when_question_prefers_an_entry_asked_when() -> None:
    import datetime

    from faq.kb_model import FaqEntry

    def entry(faq_id: str, question: str) -> FaqEntry:
        day = datetime.date(2026, 2, 1)
        return FaqEntry(faq_id, "t", (question,), "Trả lời.", ("https://x.gov.vn/",), day)

    small = KnowledgeBase(
        entries=(
            entry("fair-what", "Hội chợ nông sản của xã diễn ra những gì"),
            entry("fair-when", "Hội chợ nông sản của xã diễn ra khi nào"),
        ),
        topics=(),
    )
    # The question words of the queries appear in neither entry: only their kind differs.
    when, what = "hội chợ nông sản của xã diễn ra bao giờ", "hội chợ nông sản của xã diễn ra cái gì"
    matcher = Matcher(small)
    assert matcher.match(when).suggestions[0].entry.id == "fair-when"
    assert matcher.match(what).suggestions[0].entry.id == "fair-what"


def test_the_kind_reorder_never_makes_an_answer_more_confident(kb: KnowledgeBase) -> None:
    from dataclasses import replace

    plain = Matcher(kb, replace(Matcher(kb).config, kind_penalty=0.0))
    kinded = Matcher(kb)
    for text in ["thu tuc ly hon can giay to gi", "giá vàng ở đâu rẻ", "khi nào có lương"]:
        if kinded.match(text).action == "answer":
            assert plain.match(text).action == "answer", text


@pytest.mark.parametrize(
    "topic", ["chuyển đổi số là gì", "kinh tế số là gì", "định danh mức 2 là gì"]
)
def test_asking_for_an_easy_explanation_does_not_change_the_answer(
    matcher: Matcher, topic: str
) -> None:
    plain = matcher.match(topic).suggestions[0].entry.id
    for framing in (", nói dễ hiểu giúp tôi", " giải thích dễ hiểu giúp tôi"):
        assert matcher.match(topic + framing).suggestions[0].entry.id == plain
