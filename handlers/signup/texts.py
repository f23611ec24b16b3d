"""Vietnamese texts of the sign-up form, and the pieces every sign-up text shares."""

from __future__ import annotations

from bot.clock import format_local, to_local
from bot.messages import Button, Reply
from handlers import texts
from storage.help_sessions import SessionSeats
from storage.models import HelpSession, Signup, SignupStatus

PAYLOAD_MINE = "signup:mine"
BUTTON_MINE = "📋 Lượt đăng ký của tôi"
MINE_BUTTON = Button(BUTTON_MINE, PAYLOAD_MINE)
SIGNUP_BUTTON = Button(texts.BUTTON_SIGNUP, texts.PAYLOAD_SIGNUP)
ASK_BUTTON = Button(texts.BUTTON_ASK, texts.PAYLOAD_ASK)
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
STATUS_LABELS = {
    SignupStatus.CONFIRMED: "Đã xác nhận",
    SignupStatus.WAITLISTED: "Danh sách chờ",
    SignupStatus.CANCELLED: "Đã hủy",
}
PHONE_EXAMPLE = "0912 345 678"


def when(session: HelpSession) -> str:
    """'Thứ Bảy, 07:30 ngày 03/10/2026 (đến 11:00)'."""
    start = to_local(session.starts_at)
    return (
        f"{WEEKDAYS[start.weekday()]}, {format_local(session.starts_at)} "
        f"(đến {to_local(session.ends_at):%H:%M})"
    )


def where(session: HelpSession) -> str:
    return f"{session.place}, {session.address}, {session.commune}"


def given_name(full_name: str) -> str:
    """Vietnamese people are called by the last word of their name: 'Nguyễn Thị Lan' -> 'Lan'."""
    parts = full_name.split()
    return parts[-1] if parts else full_name


def no_sessions() -> Reply:
    return Reply(
        "Hiện chưa có buổi hỗ trợ trực tiếp nào sắp diễn ra ạ. Khi có lịch mới, bạn quay lại "
        "đây nhé. Trong lúc chờ, bạn cứ hỏi tôi hoặc nhờ tình nguyện viên giúp.",
        (ASK_BUTTON, texts.VOLUNTEER_BUTTON, MINE_BUTTON, texts.MENU_BUTTON),
    )


def has_bookings_note(count: int) -> Reply:
    return Reply(
        f"Bạn đang có {count} lượt đăng ký. Muốn xem hoặc hủy, bạn bấm “{BUTTON_MINE}” nhé.",
        (MINE_BUTTON,),
    )


def choose_commune(total: int) -> str:
    return (
        f"Có {total} buổi hỗ trợ sắp diễn ra. Bạn ở xã, phường nào ạ? "
        "Bấm chọn để xem các buổi gần bạn (hoặc gõ tên xã, phường)."
    )


def commune_label(commune: str, count: int) -> str:
    return f"{commune} ({count} buổi)"


def session_line(number: int, seats: SessionSeats) -> str:
    session = seats.session
    seats_text = f"còn {seats.free} chỗ" if seats.free else "đã đủ chỗ, có danh sách chờ"
    return (
        f"{number}. {session.title}\n   🕗 {when(session)}\n   📍 {where(session)}\n"
        f"   👥 {seats_text}"
    )


def session_button(number: int, seats: SessionSeats) -> str:
    start = to_local(seats.session.starts_at)
    free = f"còn {seats.free} chỗ" if seats.free else "hết chỗ"
    return f"{number}. {start:%d/%m %H:%M} · {seats.session.commune} · {free}"


def choose_session(lines: list[str], page: int, pages: int) -> str:
    header = "Mời bạn chọn buổi phù hợp"
    if pages > 1:
        header += f" (trang {page + 1}/{pages})"
    return header + ":\n\n" + "\n\n".join(lines)


BUTTON_MORE = "➡️ Xem thêm buổi khác"
BUTTON_ALL_COMMUNES = "🗺️ Xem tất cả các buổi"
BUTTON_OTHER_COMMUNE = "🗺️ Chọn xã, phường khác"
BUTTON_START_OVER = "↩️ Chọn lại từ đầu"


def pick_from_list() -> str:
    return "Bạn bấm chọn một buổi trong danh sách giúp tôi nhé (hoặc gõ tên xã, phường)."


def session_gone() -> Reply:
    return Reply(
        "Buổi này đã bắt đầu hoặc không còn nhận đăng ký nữa ạ. Bạn chọn buổi khác giúp tôi nhé.",
        (Button(BUTTON_START_OVER, "signup:start"), texts.MENU_BUTTON),
    )


def already_in_session(signup: Signup) -> Reply:
    state = "đã có chỗ" if signup.status == SignupStatus.CONFIRMED else "đang trong danh sách chờ"
    return Reply(
        f"Bạn đã đăng ký buổi này rồi ạ ({state}, mã {signup.code}). "
        "Mỗi người chỉ cần một lượt cho mỗi buổi.",
        (MINE_BUTTON, Button(BUTTON_START_OVER, "signup:start"), texts.MENU_BUTTON),
    )


def session_full(seats: SessionSeats) -> str:
    waiting = f" Hiện có {seats.waitlisted} người đang chờ." if seats.waitlisted else ""
    return (
        f"Buổi này đã đủ {seats.session.capacity} người rồi ạ.{waiting} "
        "Bạn có muốn ghi tên vào danh sách chờ không? Nếu có người hủy, tôi sẽ báo ngay cho bạn."
    )


BUTTON_WAITLIST = "📝 Vào danh sách chờ"
BUTTON_OTHER_SESSION = "🔎 Chọn buổi khác"


def ask_consent() -> str:
    return (
        "Để giữ chỗ cho bạn, tôi cần lưu họ tên và số điện thoại của bạn. Thông tin này chỉ "
        "dùng cho buổi hỗ trợ bạn chọn: ban tổ chức và tình nguyện viên dùng để đón và báo "
        "cho bạn khi có thay đổi. Bạn xem hoặc xóa được bất cứ lúc nào bằng nút "
        f"“{texts.BUTTON_MY_DATA}”.\n\nBạn có đồng ý không ạ?"
    )


BUTTON_AGREE = "✅ Tôi đồng ý"
BUTTON_DISAGREE = "🙅 Không đồng ý"


def consent_hint() -> Reply:
    return Reply(
        "Bạn bấm “Tôi đồng ý” hoặc “Không đồng ý” giúp tôi nhé.",
        (Button(BUTTON_AGREE, "signup:consent:yes"), Button(BUTTON_DISAGREE, "signup:consent:no")),
    )


def consent_declined() -> Reply:
    return Reply(
        "Không sao ạ, tôi chưa lưu thông tin nào của bạn. Nếu đổi ý, bạn bấm "
        f"“{texts.BUTTON_SIGNUP}” để làm lại bất cứ lúc nào. Cần hỏi gì thêm, bạn cứ nhắn nhé.",
        (ASK_BUTTON, texts.VOLUNTEER_BUTTON, texts.MENU_BUTTON),
    )


def ask_name() -> str:
    return "Bạn cho tôi xin họ và tên đầy đủ ạ (ví dụ: Nguyễn Thị Lan)."


def bad_name() -> Reply:
    return Reply("Bạn gõ giúp tôi họ và tên bằng chữ nhé, ví dụ: Nguyễn Thị Lan.")


def ask_phone(full_name: str) -> str:
    return (
        f"Cảm ơn bạn {given_name(full_name)}. Số điện thoại di động của bạn là gì ạ? "
        "Ban tổ chức chỉ gọi khi cần báo thay đổi lịch."
    )


def bad_phone() -> Reply:
    return Reply(
        "Số điện thoại này chưa đúng ạ. Bạn nhập số di động 10 chữ số, bắt đầu bằng số 0, "
        f"ví dụ: {PHONE_EXAMPLE} (viết +84 912 345 678 cũng được)."
    )


def ask_need() -> str:
    return "Bạn cần hỗ trợ việc gì ạ? Bấm một nút bên dưới, hoặc gõ ngắn gọn bằng lời của bạn."


NEED_UNSURE = "Chưa rõ, nhờ tình nguyện viên tư vấn"


def need_too_long(limit: int) -> Reply:
    return Reply(f"Bạn gõ ngắn gọn giúp tôi (dưới {limit} ký tự) nhé, hoặc bấm một nút ạ.")


def summary(session: HelpSession, answers: dict[str, str]) -> str:
    return (
        "Bạn kiểm tra lại giúp tôi nhé:\n"
        f"📌 Buổi: {session.title}\n"
        f"🕗 Thời gian: {when(session)}\n"
        f"📍 Địa điểm: {where(session)}\n"
        f"👤 Họ tên: {answers['name']}\n"
        f"📞 Điện thoại: {answers['phone']}\n"
        f"🙋 Cần hỗ trợ: {answers['need']}\n\n"
        "Nếu đúng, bạn bấm “Xác nhận đăng ký”. Muốn sửa, bạn bấm “Quay lại”."
    )


BUTTON_CONFIRM = "✅ Xác nhận đăng ký"


def confirm_hint() -> Reply:
    return Reply(
        "Bạn bấm “Xác nhận đăng ký” nếu thông tin đã đúng, hoặc “Quay lại” để sửa nhé.",
        (Button(BUTTON_CONFIRM, "signup:confirm"), Button(texts.BUTTON_BACK, "signup:back")),
    )
