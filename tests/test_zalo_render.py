"""Rendering replies for Zalo: 5 query buttons at most, 2,000 characters, numbered lists."""

from __future__ import annotations

import unicodedata

import pytest

from bot.channels.zalo import render
from bot.messages import Button, Link, Reply
from tests.fake_zalo import check_message

MENU = Button("🏠 Menu chính", "menu:main")


def buttons(count: int) -> tuple[Button, ...]:
    return tuple(Button(f"Buổi {n}: sáng thứ Bảy", f"signup:pick:{n}") for n in range(1, count + 1))


def test_short_text_with_buttons_is_one_valid_message() -> None:
    [message] = render.render_oa(Reply("Bạn muốn đăng ký buổi nào?", buttons(2)))
    assert message["text"] == "Bạn muốn đăng ký buổi nào?"
    [first, _] = message["attachment"]["payload"]["buttons"]
    assert first == {
        "title": "Buổi 1: sáng thứ Bảy",
        "type": "oa.query.show",
        "payload": "Buổi 1: sáng thứ Bảy",
    }
    assert check_message(message) is None


def test_five_buttons_stay_buttons() -> None:
    [message] = render.render_oa(Reply("Chọn", buttons(5)))
    assert len(message["attachment"]["payload"]["buttons"]) == 5
    assert check_message(message) is None


def test_more_than_five_buttons_become_a_numbered_list() -> None:
    [message] = render.render_oa(Reply("Chọn buổi:", buttons(7)))
    assert "attachment" not in message
    lines = message["text"].split("\n")
    assert lines[:2] == ["Chọn buổi:", ""]
    assert lines[2:] == [f"{n}. Buổi {n}: sáng thứ Bảy" for n in range(1, 8)]
    assert check_message(message) is None


def test_numbering_can_continue_from_an_earlier_reply() -> None:
    [message] = render.render_oa(Reply("Tiếp", buttons(6)), first_number=3)
    assert message["text"].split("\n")[2] == "3. Buổi 1: sáng thứ Bảy"


def test_the_fake_refuses_six_buttons_and_long_text() -> None:
    [five] = render.render_oa(Reply("Chọn", buttons(5)))
    six = {**five, "attachment": {"type": "template", "payload": {"buttons": [{}] * 6}}}
    assert check_message(six) == "message.attachment.payload.buttons"
    assert check_message({"text": "x" * 2001}) == "message.text"


def test_long_text_splits_at_word_boundaries_with_buttons_on_the_last_part() -> None:
    text = " ".join(["Chuyển đổi số cho mọi người dân"] * 200)  # 6,399 characters, no newline
    messages = render.render_oa(Reply(text, (MENU,)))
    assert len(messages) == 4
    assert all(len(m["text"]) <= 2000 and check_message(m) is None for m in messages)
    words = set(text.split())
    assert all(set(m["text"].split()) <= words for m in messages)  # no word cut in two
    assert " ".join(m["text"] for m in messages).split() == text.split()
    assert ["attachment" in m for m in messages] == [False, False, False, True]


def test_split_prefers_paragraphs() -> None:
    paragraph = "Một hai ba bốn năm. " * 30
    text = "\n\n".join([paragraph.strip()] * 10)
    parts = render.split_text(text, 1000)
    assert all(len(p) <= 1000 for p in parts)
    assert all(p.startswith("Một") and p.endswith("năm.") for p in parts)


def test_split_without_any_boundary_is_hard_and_loses_nothing() -> None:
    text = "đ" * 4500
    parts = render.split_text(text)
    assert [len(p) for p in parts] == [2000, 2000, 500]
    assert "".join(parts) == text


def test_lengths_are_counted_after_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Việt Nam " * 220)  # 1,980 characters in NFC
    assert len(decomposed) > 2000
    [message] = render.render_oa(Reply(decomposed))
    assert message["text"] == unicodedata.normalize("NFC", decomposed).strip()


def test_long_labels_are_cut_to_the_title_limit_and_still_resolve() -> None:
    long = Button("Hỏi về " + "dịch vụ công " * 20, "faq:dvc")
    [message] = render.render_oa(Reply("Chọn", (long, MENU)))
    title = message["attachment"]["payload"]["buttons"][0]["title"]
    assert len(title) == 100
    assert check_message(message) is None
    assert render.resolve_tap(title, (long, MENU)) == "faq:dvc"


def test_a_tap_resolves_only_against_the_buttons_shown() -> None:
    shown = (Button("✅ Đồng ý xóa", "mydata:confirm"), MENU)
    assert render.resolve_tap("✅ Đồng ý xóa", shown) == "mydata:confirm"
    assert render.resolve_tap("  🏠 Menu chính \n", shown) == "menu:main"
    # Typed text that names a payload, another label or a near miss presses nothing.
    for forged in ("mydata:confirm", "admin:broadcast", "đồng ý xóa", "#1", "1", ""):
        assert render.resolve_tap(forged, shown) is None
    assert render.resolve_tap("✅ Đồng ý xóa", ()) is None


def test_bot_text_always_numbers_the_buttons() -> None:
    [text] = render.render_bot(Reply("Chọn:", (Button("Có", "signup:yes"), MENU)))
    assert text == "Chọn:\n\n1. Có\n2. 🏠 Menu chính"
    assert render.render_bot(Reply("Xin chào")) == ["Xin chào"]


@pytest.mark.parametrize("count", [1, 9])
def test_bot_texts_fit(count: int) -> None:
    texts = render.render_bot(Reply("chữ " * 1200, buttons(count)))
    assert all(1 <= len(t) <= 2000 for t in texts)
    assert texts[-1].endswith(f"{count}. Buổi {count}: sáng thứ Bảy")


SOURCE = Link("Nguồn: Bộ Công an, kiểm tra 04/01/2026", "https://dichvucong.bocongan.gov.vn/")


def test_links_become_url_buttons_when_they_fit() -> None:
    [message] = render.render_oa(Reply("Trả lời", (MENU,), (SOURCE,)))
    assert message["text"] == "Trả lời"
    assert message["attachment"]["payload"]["buttons"][1] == {
        "title": SOURCE.label,
        "type": "oa.open.url",
        "payload": {"url": SOURCE.url},
    }
    assert check_message(message) is None


def test_links_that_do_not_fit_or_are_not_web_addresses_stay_text() -> None:
    [crowded] = render.render_oa(Reply("Trả lời", buttons(5), (SOURCE,)))
    assert crowded["text"] == f"Trả lời\n\n{SOURCE.label} {SOURCE.url}"
    assert len(crowded["attachment"]["payload"]["buttons"]) == 5
    odd = Link("Gọi tổng đài", "tel:1900xxxx")
    [message] = render.render_oa(Reply("Trả lời", (MENU,), (odd,)))
    assert message["text"].endswith("Gọi tổng đài tel:1900xxxx")
    [numbered] = render.render_oa(Reply("Chọn", buttons(6), (SOURCE,)))
    assert numbered["text"].index(SOURCE.url) < numbered["text"].index("1. Buổi 1")
    assert check_message(numbered) is None and check_message(message) is None


def test_bot_text_shows_links_before_the_numbered_list() -> None:
    [text] = render.render_bot(Reply("Trả lời", (MENU,), (SOURCE,)))
    assert text == f"Trả lời\n\n{SOURCE.label} {SOURCE.url}\n\n1. 🏠 Menu chính"
