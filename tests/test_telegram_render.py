"""Telegram rendering: escaping, splitting at 4096 characters, callback data within 64 bytes."""

from __future__ import annotations

import pytest

from bot.channels import telegram_render as render
from bot.messages import Button, Reply


def test_escapes_every_dynamic_piece() -> None:
    [part] = render.render(Reply("<b>a</b> & <script>x</script>"))
    assert part.html == "&lt;b&gt;a&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"


def test_short_text_is_one_part_with_the_keyboard() -> None:
    [part] = render.render(Reply("Xin chào", (Button("Menu", "menu:main"),)))
    assert part.keyboard is not None
    [[button]] = part.keyboard.inline_keyboard
    assert (button.text, button.callback_data) == ("Menu", "menu:main")


def test_split_prefers_paragraphs_then_lines_then_words() -> None:
    paragraph = "Một hai ba bốn năm. " * 30
    text = "\n\n".join([paragraph.strip()] * 20)
    parts = render.split_text(text, 1000)
    assert all(render.utf16_len(p) <= 1000 for p in parts)
    assert all(p == paragraph.strip() or "\n\n" in p for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")
    words = render.split_text("chữ " * 600, 500)  # no line breaks at all
    assert all(len(p) <= 500 and not p.endswith(" chữ" + "c") for p in words)
    assert " ".join(words).split() == ["chữ"] * 600


def test_split_counts_emoji_as_two_units_and_never_loses_text() -> None:
    text = "😀" * 5000  # 10,000 UTF-16 units, no boundary anywhere
    parts = render.split_text(text, render.MAX_MESSAGE_CHARS)
    assert all(render.utf16_len(p) <= 4096 for p in parts)
    assert "".join(parts) == text


def test_buttons_only_on_the_last_part() -> None:
    parts = render.render(Reply("x " * 5000, (Button("Menu", "menu:main"),)))
    assert len(parts) == 3
    assert [p.keyboard is not None for p in parts] == [False, False, True]


@pytest.mark.parametrize(
    "payload",
    ["faq:vneid_quen_mat_khau", "topics:" + "đ" * 40, "x" * 65, "#looks-like-a-token"],
)
def test_callback_data_fits_and_resolves(payload: str) -> None:
    data = render.callback_data_for(payload)
    assert 1 <= len(data.encode("utf-8")) <= 64
    if data != payload:
        assert render.is_token(data)
        assert render.resolve_token(data, ["menu:main", payload]) == payload
        assert render.resolve_token(data, ["menu:main"]) is None
