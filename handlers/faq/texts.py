"""Vietnamese texts of the FAQ feature: suggestions, the honest fallback, topics, small talk."""

from __future__ import annotations

from datetime import date

from bot.messages import Button, Reply
from handlers import texts

BUTTON_SAME_TOPIC = "📚 Câu hỏi cùng chủ đề"
BUTTON_MORE = "➡️ Xem thêm"
BUTTON_OTHER_TOPICS = "📚 Chủ đề khác"


def source_label(publisher: str, checked: date) -> str:
    """Who says it and when it was last checked: 'Nguồn: Báo Dân trí, kiểm tra 04/01/2025'."""
    return f"Nguồn: {publisher}, kiểm tra {checked:%d/%m/%Y}"


def source_url_label(url: str) -> str:
    return f"Nguồn: {url}"


def suggest(buttons: list[Button], *, volunteers: bool) -> Reply:
    helper = (texts.VOLUNTEER_BUTTON,) if volunteers else ()
    return Reply(
        "Tôi chưa chắc đã hiểu đúng ý bạn. Có phải bạn muốn hỏi một trong các câu sau không ạ?",
        (*buttons, texts.TOPICS_BUTTON, *helper),
    )


def fallback(*, volunteers: bool) -> Reply:
    if volunteers:
        return Reply(
            "Xin lỗi bạn, câu này tôi chưa có thông tin chắc chắn để trả lời. "
            "Bạn có thể xem các chủ đề tôi hỗ trợ, hoặc nhờ tình nguyện viên giúp ạ.",
            (texts.TOPICS_BUTTON, texts.VOLUNTEER_BUTTON, texts.MENU_BUTTON),
        )
    return Reply(
        "Xin lỗi bạn, câu này tôi chưa có thông tin chắc chắn để trả lời. Bạn có thể xem các "
        "chủ đề tôi hỗ trợ, hoặc hỏi trực tiếp Tổ công nghệ số cộng đồng, bộ phận một cửa "
        "của xã, phường nơi bạn ở ạ.",
        (texts.TOPICS_BUTTON, texts.MENU_BUTTON),
    )


def thanks() -> Reply:
    return Reply(
        "Không có gì ạ! Bạn cần hỏi thêm gì cứ nhắn cho tôi nhé. 😊",
        (texts.TOPICS_BUTTON, texts.MENU_BUTTON),
    )


def bye() -> Reply:
    return Reply("Chúc bạn một ngày tốt lành! Khi cần, bạn cứ quay lại hỏi tôi nhé.")


def choose_topic(topics: tuple[Button, ...]) -> Reply:
    return Reply("Bạn muốn tìm hiểu chủ đề nào ạ?", (*topics, texts.MENU_BUTTON))


def empty_topic() -> Reply:
    return Reply("Chủ đề này hiện chưa có câu hỏi nào ạ.", (texts.TOPICS_BUTTON,))


def topic_questions(title: str, buttons: tuple[Button, ...]) -> Reply:
    return Reply(f"{title}: bạn chọn câu hỏi muốn xem nhé.", buttons)
