"""Vietnamese texts of campaign reminders and announcements."""

from __future__ import annotations

from datetime import date

from bot.clock import format_local
from bot.messages import Button, Reply
from handlers import texts
from storage.help_sessions import SessionSeats
from storage.models import HelpSession, ReminderSlot, Signup

PAYLOAD_START = texts.PAYLOAD_REMINDERS
PAYLOAD_STOP = "reminders:stop"
BUTTON_STOP = "🔕 Dừng nhận nhắc lịch"
STOP_BUTTON = Button(BUTTON_STOP, PAYLOAD_STOP)
BUTTON_TIP = "💡 Xem hướng dẫn"
BUTTON_SKIP_COMMUNE = "Bỏ qua, nhắc chung"
BUTTON_NO_THANKS = "Không, cảm ơn"
BUTTON_CHANGE = "⏰ Đổi giờ nhắc"
BUTTON_COMMUNE = "📍 Chọn xã, phường"


def slot_label(slot: ReminderSlot, at: str) -> str:
    return f"☀️ Buổi sáng, {at}" if slot == ReminderSlot.MORNING else f"🌙 Buổi tối, {at}"


def offer(first: date, last: date, morning: str, evening: str, upcoming: bool) -> str:
    """What will be sent, how often, when, how to stop: the subscription is the consent."""
    when = (
        f"từ {first:%d/%m} đến {last:%d/%m/%Y}"
        if upcoming
        else f"trong dịp hưởng ứng năm sau, từ {first:%d/%m} đến {last:%d/%m/%Y}"
    )
    return (
        f"🔔 Tôi có thể nhắn bạn mỗi ngày một tin {when}: việc nên làm trong ngày hưởng ứng "
        "Ngày Chuyển đổi số, một mẹo dùng dịch vụ số, các buổi hỗ trợ gần bạn còn chỗ và lịch "
        "hẹn của bạn (nếu có).\n\n"
        f"Mỗi ngày chỉ một tin, vào buổi sáng ({morning}) hoặc buổi tối ({evening}), tùy bạn "
        "chọn. Muốn dừng lúc nào cũng được: bấm “Dừng nhận nhắc lịch” dưới mỗi tin, hoặc gõ "
        "“dừng nhắc”.\n\nBạn muốn nhận vào lúc nào ạ?"
    )


def ask_commune(communes: list[str]) -> str:
    return (
        "Bạn ở xã, phường nào ạ? Tôi sẽ báo các buổi hỗ trợ ở gần bạn. "
        "Nếu không muốn cho biết, bạn bấm “Bỏ qua, nhắc chung”."
        if communes
        else ""
    )


def subscribed(slot_text: str, commune: str | None, first: date, upcoming: bool) -> Reply:
    where = f" Tôi sẽ kèm các buổi hỗ trợ ở {commune}." if commune else ""
    start = "" if upcoming else f" (bắt đầu từ {first:%d/%m/%Y})"
    return Reply(
        f"Đã đăng ký nhận nhắc lịch{start}: mỗi ngày một tin vào {slot_text}.{where}\n"
        "Muốn dừng, bạn bấm nút bên dưới hoặc gõ “dừng nhắc” bất cứ lúc nào nhé.",
        (STOP_BUTTON, texts.MENU_BUTTON),
    )


def already(slot_text: str, commune: str | None) -> Reply:
    where = f", kèm các buổi hỗ trợ ở {commune}" if commune else ""
    return Reply(
        f"Bạn đang nhận nhắc lịch mỗi ngày vào {slot_text}{where}. Bạn muốn thay đổi gì ạ?",
        (
            Button(BUTTON_CHANGE, "reminders:change"),
            Button(BUTTON_COMMUNE, "reminders:commune"),
            STOP_BUTTON,
            texts.MENU_BUTTON,
        ),
    )


def declined() -> Reply:
    return Reply(
        "Dạ vâng. Khi cần, bạn bấm “Nhắc lịch 1–10/10” ở menu nhé.", texts.main_menu_buttons()
    )


def stopped() -> Reply:
    return Reply(
        "Đã dừng nhắc lịch. Tôi sẽ không nhắn thêm tin nhắc nào nữa, kể cả tin đã xếp lịch. "
        "Cảm ơn bạn đã theo dõi!",
        (Button(texts.BUTTON_REMINDERS, PAYLOAD_START), texts.MENU_BUTTON),
    )


def not_subscribed() -> Reply:
    return Reply(
        "Bạn chưa đăng ký nhận nhắc lịch nên không có gì cần dừng ạ.",
        (Button(texts.BUTTON_REMINDERS, PAYLOAD_START), texts.MENU_BUTTON),
    )


def pick_from_buttons() -> str:
    return "Bạn bấm một nút bên dưới giúp tôi nhé."


# --- the daily reminder -------------------------------------------------------------------


def reminder_text(
    day: date,
    title: str,
    text: str,
    tip_question: str,
    sessions: list[SessionSeats],
    more_sessions: int,
    commune: str | None,
    bookings: list[tuple[Signup, HelpSession]],
) -> str:
    lines = [f"🔔 Ngày {day:%d/%m}: {title}", "", text, "", f"💡 Mẹo trong ngày: {tip_question}"]
    for signup, session in bookings:
        when = format_local(session.starts_at)
        lines += ["", f"🎟️ Ngày {day:%d/%m} bạn có lịch hẹn: {session.title}, {when}"]
        lines.append(f"   📍 {session.place}, {session.address}. Mã đăng ký: {signup.code}")
    if sessions:
        lines += [
            "",
            f"📍 Buổi hỗ trợ ngày {day:%d/%m} ở {commune}:"
            if commune
            else f"📍 Buổi hỗ trợ ngày {day:%d/%m}:",
        ]
        for seats in sessions:
            session = seats.session
            lines.append(
                f"• {format_local(session.starts_at)}, {session.place} ({session.commune}): "
                f"còn {seats.free} chỗ"
            )
        if more_sessions:
            lines.append(f"• và {more_sessions} buổi khác")
    return "\n".join(lines)


def reminder_buttons(tip_id: str, has_sessions: bool) -> tuple[Button, ...]:
    buttons = [Button(BUTTON_TIP, f"faq:{tip_id}")]
    if has_sessions:
        buttons.append(Button(texts.BUTTON_SIGNUP, texts.PAYLOAD_SIGNUP))
    return (*buttons, STOP_BUTTON)


# --- announcements ------------------------------------------------------------------------


def announcement(text: str, to_subscribers: bool) -> Reply:
    buttons = (STOP_BUTTON, texts.MENU_BUTTON) if to_subscribers else (texts.MENU_BUTTON,)
    return Reply(f"📢 Thông báo từ ban tổ chức:\n\n{text}", buttons)


AUDIENCE_LABELS = {
    "subscribers": "Người đăng ký nhắc lịch",
    "signups": "Người đăng ký các buổi hỗ trợ sắp tới",
    "all": "Tất cả (nhắc lịch và buổi hỗ trợ)",
}


def admin_only() -> Reply:
    return Reply("Lệnh này chỉ dành cho ban tổ chức ạ.", (texts.MENU_BUTTON,))


def admin_ask_text() -> Reply:
    return Reply(
        "Soạn thông báo: bạn gõ nội dung cần gửi (gõ “hủy” để thôi).",
        (Button("✖️ Hủy", "announce:cancel"),),
    )


def admin_ask_audience() -> Reply:
    buttons = tuple(Button(label, f"announce:to:{key}") for key, label in AUDIENCE_LABELS.items())
    return Reply("Gửi cho ai ạ?", (*buttons, Button("✖️ Hủy", "announce:cancel")))


def admin_preview(preview: str, counts: dict[str, int]) -> Reply:
    total = sum(counts.values())
    by_channel = ", ".join(f"{channel}: {n}" for channel, n in sorted(counts.items())) or "0"
    return Reply(
        f"Xem trước (người nhận thấy đúng như sau):\n\n{preview}\n\n"
        f"Số người nhận: {total} ({by_channel}). Gửi ngay chứ ạ?",
        (Button("✅ Gửi", "announce:confirm"), Button("✖️ Hủy", "announce:cancel")),
    )


def admin_queued(broadcast_id: int, total: int) -> Reply:
    return Reply(
        f"Đã xếp lịch gửi thông báo số {broadcast_id} tới {total} người. "
        f"Theo dõi tiến độ: python -m bot broadcast status {broadcast_id}",
        (texts.MENU_BUTTON,),
    )


def admin_cancelled() -> Reply:
    return Reply("Đã hủy, không gửi gì cả.", (texts.MENU_BUTTON,))


def admin_too_long(limit: int) -> Reply:
    return Reply(f"Thông báo dài quá (hơn {limit} ký tự). Bạn rút gọn giúp tôi nhé.")


# --- my data --------------------------------------------------------------------------------


def mydata_line(slot_text: str, commune: str | None) -> str:
    where = f", xã/phường: {commune}" if commune else ""
    return f"Đăng ký nhận nhắc lịch 1–10/10 vào {slot_text}{where}."
