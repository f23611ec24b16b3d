"""Vietnamese texts of bookings, cancellations, notices, "my data" and the organizers' CSV."""

from __future__ import annotations

from bot.messages import Button, Reply
from handlers import texts
from handlers.signup.texts import BUTTON_MINE, MINE_BUTTON, PAYLOAD_MINE, SIGNUP_BUTTON, when, where
from storage.models import HelpSession, Signup, SignupStatus

# The one-tap offer of the campaign reminders after a sign-up.
REMINDERS_BUTTON = Button(texts.BUTTON_REMINDERS, texts.PAYLOAD_REMINDERS)


def details(session: HelpSession) -> str:
    lines = [f"🕗 {when(session)}", f"📍 {where(session)}"]
    if session.bring:
        lines.append(f"🎒 Nhớ mang theo: {session.bring}")
    if session.contact:
        lines.append(f"☎️ Liên hệ: {session.contact}")
    return "\n".join(lines)


def booked(session: HelpSession, signup: Signup, checkin_url: str | None = None) -> Reply:
    """The confirmation; on the web chat also a QR code of the booking code (or of the
    dashboard's check-in link for it, when DASHBOARD_PUBLIC_URL says where that is)."""
    qr = f"{checkin_url}?code={signup.code}" if checkin_url else signup.code
    return Reply(
        f"Đăng ký thành công! 🎉 Bạn đã có chỗ ở buổi “{session.title}”.\n\n"
        f"🔖 Mã đăng ký: {signup.code} (bạn đọc mã này khi đến nơi)\n"
        f"{details(session)}\n\n"
        "Tôi sẽ nhắc bạn một ngày trước buổi hỗ trợ. Nếu bận không đi được, bạn hủy giúp "
        "để nhường chỗ cho người khác nhé.\n\n"
        "Bạn có muốn nhận thêm tin nhắc mỗi ngày từ 1 đến 10/10 không? Bấm “Nhắc lịch” bên dưới.",
        (MINE_BUTTON, REMINDERS_BUTTON, texts.MENU_BUTTON),
        qr=qr,
    )


def waitlisted(session: HelpSession, signup: Signup, position: int) -> Reply:
    return Reply(
        f"Buổi “{session.title}” đã đủ chỗ nên tôi đã ghi tên bạn vào danh sách chờ "
        f"(thứ tự số {position}).\n\n"
        f"🔖 Mã đăng ký: {signup.code}\n{details(session)}\n\n"
        "Khi có người hủy, tôi sẽ nhắn báo ngay cho bạn. Bạn cũng có thể chọn buổi khác.",
        (MINE_BUTTON, REMINDERS_BUTTON, SIGNUP_BUTTON, texts.MENU_BUTTON),
    )


def already_done() -> Reply:
    return Reply(
        "Lượt đăng ký của bạn đã được ghi nhận rồi ạ, bạn không cần bấm lại.",
        (MINE_BUTTON, texts.MENU_BUTTON),
    )


def already_done_cancel() -> Reply:
    return Reply(
        "Lượt đăng ký này đã được hủy rồi ạ.", (SIGNUP_BUTTON, MINE_BUTTON, texts.MENU_BUTTON)
    )


def stale_button() -> Reply:
    return Reply(
        "Phần đăng ký đó đã kết thúc rồi ạ. Bạn muốn làm gì tiếp theo?",
        (SIGNUP_BUTTON, MINE_BUTTON, texts.MENU_BUTTON),
    )


def status_text(signup: Signup, position: int = 0) -> str:
    if signup.status == SignupStatus.CONFIRMED:
        return "đã có chỗ"
    if signup.status == SignupStatus.WAITLISTED:
        return f"đang chờ (thứ tự số {position})" if position else "đang chờ"
    return "đã hủy"


def mine(items: list[tuple[Signup, HelpSession, int]]) -> Reply:
    if not items:
        return Reply(
            "Bạn chưa có lượt đăng ký buổi hỗ trợ nào ạ.", (SIGNUP_BUTTON, texts.MENU_BUTTON)
        )
    blocks = [
        f"🔖 {signup.code} — {status_text(signup, position)}\n📌 {session.title}\n"
        f"🕗 {when(session)}\n📍 {where(session)}"
        for signup, session, position in items
    ]
    buttons = tuple(Button(f"✖️ Hủy mã {s.code}", f"signup:drop:{s.id}") for s, _h, _p in items)
    return Reply(
        "Các lượt đăng ký của bạn:\n\n" + "\n\n".join(blocks) + "\n\n"
        "Muốn hủy, bạn bấm nút bên dưới hoặc gõ “hủy” kèm mã, ví dụ: “hủy "
        f"{items[0][0].code}”.",
        (*buttons, SIGNUP_BUTTON, texts.MENU_BUTTON),
    )


def confirm_drop(signup: Signup, session: HelpSession) -> Reply:
    return Reply(
        f"Bạn chắc chắn muốn hủy lượt đăng ký {signup.code} ở buổi “{session.title}” "
        f"({when(session)}) chứ ạ?",
        (
            Button("✅ Đúng, hủy giúp tôi", f"signup:dropok:{signup.id}"),
            Button("Không, giữ lại", PAYLOAD_MINE),
        ),
    )


def dropped(signup: Signup, session: HelpSession) -> Reply:
    return Reply(
        f"Đã hủy lượt đăng ký {signup.code} ở buổi “{session.title}”. Cảm ơn bạn đã báo sớm để "
        "nhường chỗ cho người khác! Khi cần, bạn đăng ký lại lúc nào cũng được.",
        (SIGNUP_BUTTON, MINE_BUTTON, texts.MENU_BUTTON),
    )


def not_found(code: str) -> Reply:
    return Reply(
        f"Tôi không tìm thấy lượt đăng ký nào còn hiệu lực của bạn có mã {code} ạ. "
        f"Bạn bấm “{BUTTON_MINE}” để xem lại các mã của mình nhé.",
        (MINE_BUTTON, texts.MENU_BUTTON),
    )


def promoted(session: HelpSession, signup: Signup) -> Reply:
    return Reply(
        f"Tin vui ạ! 🎉 Đã có người hủy nên bạn được nhận chỗ ở buổi “{session.title}”.\n\n"
        f"🔖 Mã đăng ký: {signup.code}\n{details(session)}\n\n"
        "Nếu không đi được nữa, bạn hủy giúp để nhường chỗ cho người khác nhé.",
        (MINE_BUTTON, texts.MENU_BUTTON),
    )


def reminder(session: HelpSession, signup: Signup) -> Reply:
    return Reply(
        f"🔔 Nhắc lịch: ngày mai bạn có buổi hỗ trợ “{session.title}”.\n\n"
        f"🔖 Mã đăng ký: {signup.code}\n{details(session)}\n\n"
        "Nếu bận không đi được, bạn bấm nút bên dưới để hủy, nhường chỗ cho người khác nhé. "
        "Hẹn gặp bạn!",
        (MINE_BUTTON, texts.MENU_BUTTON),
    )


def mydata_line(signup: Signup, session: HelpSession, masked_phone: str) -> str:
    return (
        f"Đăng ký buổi “{session.title}” ({when(session)}), mã {signup.code}, "
        f"{status_text(signup)}: họ tên {signup.full_name}, số điện thoại {masked_phone}."
    )


def mydata_cancelled(count: int) -> str:
    return f"{count} lượt đăng ký đã hủy (còn lưu họ tên, số điện thoại để ban tổ chức đối chiếu)."


CSV_HEADERS = (
    "Mã đăng ký",
    "Trạng thái",
    "Mã buổi",
    "Tên buổi",
    "Xã/phường",
    "Địa điểm",
    "Bắt đầu",
    "Họ và tên",
    "Số điện thoại",
    "Nội dung cần hỗ trợ",
    "Kênh",
    "Đăng ký lúc",
    "Hủy lúc",
    "Có mặt lúc",
    "Đến trực tiếp",
)
