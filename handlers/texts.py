"""Shared Vietnamese texts: the main menu, buttons, and what the core and forms say.

Each feature keeps its own texts in its own texts module; wording several features share
(menu buttons, apologies) and the texts handed to the core (CORE_TEXTS) live here.
"""

from __future__ import annotations

from bot.features import CoreTexts
from bot.forms import FormTexts
from bot.messages import Button, Reply

BOT_NAME = "Trợ lý Chuyển đổi số"

# Main menu payloads (namespaces are registered by the feature modules).
PAYLOAD_MENU = "menu:main"
PAYLOAD_ASK = "menu:ask"
PAYLOAD_HELP = "menu:help"
PAYLOAD_TOPICS = "topics:list"
PAYLOAD_SIGNUP = "signup:start"
PAYLOAD_REMINDERS = "reminders:start"
PAYLOAD_VOLUNTEER = "volunteer:start"
PAYLOAD_MY_DATA = "mydata:show"

BUTTON_MENU = "🏠 Về menu chính"
BUTTON_BACK = "↩️ Quay lại"
BUTTON_CANCEL = "✖️ Hủy"
BUTTON_ASK = "❓ Đặt câu hỏi"
BUTTON_TOPICS = "📚 Xem theo chủ đề"
BUTTON_SIGNUP = "📝 Đăng ký buổi hỗ trợ"
BUTTON_REMINDERS = "🔔 Nhắc lịch 1–10/10"
BUTTON_VOLUNTEER = "🙋 Gặp tình nguyện viên"
BUTTON_MY_DATA = "🔒 Dữ liệu của tôi"

MENU_BUTTON = Button(BUTTON_MENU, PAYLOAD_MENU)
TOPICS_BUTTON = Button(BUTTON_TOPICS, PAYLOAD_TOPICS)
VOLUNTEER_BUTTON = Button(BUTTON_VOLUNTEER, PAYLOAD_VOLUNTEER)


def main_menu_buttons() -> tuple[Button, ...]:
    return (
        Button(BUTTON_ASK, PAYLOAD_ASK),
        TOPICS_BUTTON,
        Button(BUTTON_SIGNUP, PAYLOAD_SIGNUP),
        Button(BUTTON_REMINDERS, PAYLOAD_REMINDERS),
        VOLUNTEER_BUTTON,
        Button(BUTTON_MY_DATA, PAYLOAD_MY_DATA),
    )


def welcome() -> Reply:
    return Reply(
        "Xin chào! 👋 Tôi là Trợ lý Chuyển đổi số, giúp bạn tìm hiểu Ngày Chuyển đổi số quốc gia "
        "(10/10) và cách dùng các dịch vụ công trên mạng: VNeID, Cổng Dịch vụ công, thanh toán "
        "không dùng tiền mặt, phòng tránh lừa đảo.\n\n"
        "Bạn cứ gõ câu hỏi, có dấu hay không dấu đều được, hoặc bấm một nút bên dưới ạ.",
        main_menu_buttons(),
    )


def main_menu() -> Reply:
    return Reply("Bạn muốn làm gì tiếp theo ạ? Bấm một nút bên dưới nhé.", main_menu_buttons())


def help_text() -> Reply:
    return Reply(
        "Cách dùng trợ lý:\n"
        "• Gõ câu hỏi ngắn, ví dụ: “đăng ký định danh mức 2 ở đâu”, “quên mật khẩu VNeID”. "
        "Không cần gõ dấu.\n"
        "• Bấm “Xem theo chủ đề” để chọn câu hỏi có sẵn.\n"
        "• Bấm “Gặp tình nguyện viên” nếu cần người hỗ trợ trực tiếp.\n"
        "• Gõ “menu” bất cứ lúc nào để quay về menu chính, “hủy” để dừng việc đang làm.",
        main_menu_buttons(),
    )


def ask_prompt() -> Reply:
    return Reply(
        "Mời bạn gõ câu hỏi ạ. Ví dụ: “làm định danh mức 2 cần mang gì”, "
        "“nộp hồ sơ trên dịch vụ công thế nào”, “có người gọi xưng công an thì làm sao”.",
        (TOPICS_BUTTON, MENU_BUTTON),
    )


def error_apology() -> Reply:
    return Reply(
        "Xin lỗi bạn, tôi vừa gặp trục trặc nên chưa xử lý được tin nhắn này. "
        "Bạn vui lòng gửi lại sau ít phút, hoặc bấm nút bên dưới ạ.",
        (MENU_BUTTON, VOLUNTEER_BUTTON),
    )


def unsupported_message() -> Reply:
    return Reply(
        "Cảm ơn bạn! Hiện tôi chỉ đọc được tin nhắn chữ và các nút bấm, chưa xem được hình ảnh, "
        "nhãn dán, tin nhắn thoại hay tệp. Bạn vui lòng gõ câu hỏi bằng chữ nhé.",
        (TOPICS_BUTTON, VOLUNTEER_BUTTON, MENU_BUTTON),
    )


def empty_message() -> Reply:
    return Reply(
        "Tôi chưa thấy nội dung tin nhắn. Bạn gõ câu hỏi giúp tôi, hoặc bấm một nút bên dưới ạ.",
        main_menu_buttons(),
    )


def form_cancelled() -> Reply:
    return Reply("Đã hủy. Bạn muốn làm gì tiếp theo ạ?", main_menu_buttons())


def form_at_first_step() -> Reply:
    return Reply("Đây là bước đầu tiên rồi ạ.")


def form_expired() -> Reply:
    return Reply(
        "Phần bạn đang làm dở lần trước đã quá lâu nên tôi đã hủy để bắt đầu lại cho gọn. "
        "Bạn cứ làm lại từ đầu khi cần nhé."
    )


def slow_down() -> str:
    return "Bạn gửi hơi nhanh ạ. Xin chờ vài giây rồi gửi tiếp nhé."


def message_too_long(limit: int) -> Reply:
    return Reply(
        f"Tin nhắn của bạn khá dài (hơn {limit} ký tự). Bạn gõ ngắn gọn câu hỏi chính "
        "giúp tôi nhé, ví dụ: “quên mật khẩu VNeID”.",
        (TOPICS_BUTTON, VOLUNTEER_BUTTON),
    )


FORM_TEXTS = FormTexts(
    back=BUTTON_BACK,
    cancel=BUTTON_CANCEL,
    cancelled=form_cancelled(),
    at_first_step=form_at_first_step(),
)

CORE_TEXTS = CoreTexts(
    apology=error_apology(),
    empty=empty_message(),
    too_long=message_too_long,
    slow_down=slow_down(),
    goodbye="Tạm biệt! Hẹn gặp lại bạn.",
)
