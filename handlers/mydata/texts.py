"""Vietnamese texts of "Dữ liệu của tôi" (my data) and its deletion."""

from __future__ import annotations

from bot.messages import Button, Reply
from handlers import texts

PAYLOAD_DELETE = "mydata:delete"
PAYLOAD_CONFIRM = "mydata:confirm"


def form_in_progress() -> str:
    return "Phần bạn đang làm dở (có thể gồm họ tên, số điện thoại bạn vừa nhập)."


def stored_questions(count: int) -> str:
    return (
        f"{count} câu hỏi tôi chưa trả lời được, lưu lại để bổ sung nội dung "
        "(đã ẩn tên và các dãy số)."
    )


def nothing_stored() -> Reply:
    return Reply(
        "Hiện tôi không lưu thông tin cá nhân nào của bạn (tên, số điện thoại).",
        (texts.MENU_BUTTON,),
    )


def stored(lines: list[str]) -> Reply:
    body = "\n".join(f"• {line}" for line in lines)
    return Reply(
        f"Thông tin tôi đang lưu về bạn:\n{body}\n\nBạn có quyền yêu cầu xóa bất cứ lúc nào.",
        (Button("🗑️ Xóa dữ liệu của tôi", PAYLOAD_DELETE), texts.MENU_BUTTON),
    )


def confirm_delete() -> Reply:
    return Reply(
        "Bạn chắc chắn muốn xóa toàn bộ thông tin của mình chứ ạ? "
        "Các lượt đăng ký buổi hỗ trợ (nếu có) cũng sẽ bị hủy.",
        (Button("✅ Đồng ý xóa", PAYLOAD_CONFIRM), Button("Không, giữ lại", texts.PAYLOAD_MENU)),
    )


def deleted() -> Reply:
    return Reply(
        "Đã xóa thông tin của bạn. Cảm ơn bạn đã tin dùng trợ lý!", texts.main_menu_buttons()
    )
