"""Vietnamese texts the citizen reads when talking to a volunteer (the group's texts are in
desk_texts.py)."""

from __future__ import annotations

from datetime import datetime

from bot.clock import DailyWindow, to_local
from bot.messages import Button, Reply
from handlers import texts

# Citizen buttons (namespace `volunteer`, the main menu's `volunteer:start` among them).
PAYLOAD_SEND = "volunteer:send"
PAYLOAD_CANCEL = "volunteer:cancel"
PAYLOAD_END = "volunteer:end"
BUTTON_END = "✖️ Kết thúc trò chuyện"
END_BUTTON = Button(BUTTON_END, PAYLOAD_END)
CANCEL_BUTTON = Button("Thôi, không cần", PAYLOAD_CANCEL)
MAX_LABEL_CHARS = 40

# What ends the conversation when typed (compared normalized, the whole message).
END_PHRASES = ("kết thúc", "kết thúc trò chuyện", "kết thúc cuộc trò chuyện", "dừng trò chuyện")
# What gives up sending anything, typed instead of a question.
CANCEL_PHRASES = ("hủy", "thôi", "không", "không cần", "menu", "thoát")


def _other_help(signup: bool) -> str:
    """Where else to get help in person (a help session when sign-ups are on)."""
    session = "• Đăng ký một buổi hỗ trợ trực tiếp (nút bên dưới).\n" if signup else ""
    return (
        f"{session}• Tổ công nghệ số cộng đồng ở thôn, tổ dân phố (hỏi trưởng thôn, tổ trưởng).\n"
        "• “Hướng dẫn viên số” tại Trung tâm phục vụ hành chính công cấp xã.\n"
        "• Việc về VNeID, căn cước: công an xã, phường hoặc tổng đài 1900.0368."
    )


def _signup_buttons(signup: bool) -> tuple[Button, ...]:
    return (Button(texts.BUTTON_SIGNUP, texts.PAYLOAD_SIGNUP),) if signup else ()


def warning(candidate: str | None) -> Reply:
    """Before anything is forwarded: who reads it, and what never to send."""
    offer = (
        "\n\nHoặc bấm nút bên dưới để gửi luôn câu bạn vừa hỏi (số và mã trong đó đã được che)."
        if candidate
        else ""
    )
    buttons = (Button(f"📨 Gửi câu: “{_short(candidate)}”", PAYLOAD_SEND),) if candidate else ()
    return Reply(
        "Tôi sẽ chuyển tin nhắn tiếp theo của bạn cho tình nguyện viên. Đó là người thật, sẽ "
        "đọc và trả lời bạn ngay trong cuộc trò chuyện này.\n\n"
        "⚠️ Xin bạn đừng gửi số căn cước, mật khẩu hay mã OTP: tình nguyện viên không bao giờ "
        "cần những thông tin đó.\n\n"
        "Bạn gõ câu hỏi thật rõ giúp tôi (đang làm việc gì, vướng ở bước nào). Nếu gửi được ảnh "
        f"chụp màn hình báo lỗi, bạn cứ gửi kèm.{offer}",
        (*buttons, CANCEL_BUTTON),
    )


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def hours_label(window: DailyWindow) -> str:
    return f"{window.start:%H:%M}–{window.end:%H:%M}"


def opened(ticket_id: int, expectation: str) -> Reply:
    """The first message went to the volunteers."""
    return Reply(
        f"✅ Tôi đã chuyển câu hỏi của bạn tới tình nguyện viên (phiếu số {ticket_id}).\n"
        f"{expectation}\n\n"
        "Trong lúc chờ, bạn cứ nhắn thêm nếu cần: mọi tin nhắn đều được chuyển cho tình nguyện "
        "viên, trợ lý sẽ không xen vào. Muốn quay lại với trợ lý, bạn bấm “Kết thúc trò "
        "chuyện” hoặc gõ “kết thúc”.",
        (END_BUTTON,),
    )


def on_duty(window: DailyWindow, give_up_minutes: int) -> str:
    return (
        f"Tình nguyện viên trực từ {window.start:%H:%M} đến {window.end:%H:%M} hằng ngày. Khi có "
        "người nhận câu hỏi, tôi sẽ báo bạn ngay tại đây. Nếu khoảng "
        f"{give_up_minutes} phút nữa vẫn chưa có ai rảnh, tôi cũng sẽ báo để bạn tìm cách khác."
    )


def off_duty(window: DailyWindow, now: datetime, opening: datetime) -> str:
    """Outside the hours: when the answer can come, said plainly."""
    today, day = to_local(now).date(), to_local(opening).date()
    when = (
        "hôm nay"
        if day == today
        else "ngày mai"
        if (day - today).days == 1
        else f"ngày {day:%d/%m}"
    )
    return (
        f"Bây giờ là ngoài giờ trực của tình nguyện viên ({hours_label(window)}), nên câu hỏi "
        f"sẽ được trả lời từ {to_local(opening):%H:%M} {when}. Câu hỏi vẫn được giữ nguyên, "
        "bạn không cần gửi lại."
    )


def already_open(ticket_id: int) -> Reply:
    return Reply(
        f"Bạn đang trò chuyện với tình nguyện viên (phiếu số {ticket_id}). Bạn cứ nhắn tiếp, "
        "tin nhắn sẽ được chuyển cho tình nguyện viên ạ.",
        (END_BUTTON,),
    )


def claimed(name: str) -> Reply:
    return Reply(
        f"🙋 Tình nguyện viên {name} đã nhận câu hỏi của bạn và sẽ trả lời ngay trong cuộc "
        "trò chuyện này.",
        (END_BUTTON,),
    )


def handed_on() -> Reply:
    return Reply(
        "Tình nguyện viên vừa chuyển câu hỏi của bạn để một bạn khác hỗ trợ. Bạn chờ thêm một "
        "chút nhé, không cần gửi lại.",
        (END_BUTTON,),
    )


def volunteer_says(name: str, text: str, *, picture_left_out: bool = False) -> str:
    """A volunteer's message as the citizen reads it: their first name only."""
    lines = [f"💬 {name} (tình nguyện viên):"]
    if text.strip():
        lines.append(text.strip())
    if picture_left_out:
        lines.append("(Tình nguyện viên có gửi kèm một hình ảnh, nhưng ở đây chưa xem được ảnh.)")
    return "\n".join(lines)


def _rating_buttons(ticket_id: int) -> tuple[Button, ...]:
    return (
        Button("👍 Có, cảm ơn", f"volunteer:rate:{ticket_id}:yes"),
        Button("👎 Chưa được", f"volunteer:rate:{ticket_id}:no"),
    )


def _with_rating(text: str, rate_ticket: int | None) -> Reply:
    if rate_ticket is None:
        return Reply(text, texts.main_menu_buttons())
    return Reply(
        f"{text}\n\nTình nguyện viên có giúp được bạn không ạ?",
        (*_rating_buttons(rate_ticket), texts.MENU_BUTTON),
    )


def ended(rate_ticket: int | None) -> Reply:
    """The citizen ended it (button, "kết thúc", /menu)."""
    return _with_rating(
        "Đã kết thúc trò chuyện với tình nguyện viên. Bạn quay lại với trợ lý rồi ạ.", rate_ticket
    )


def left(rate_ticket: int | None) -> Reply:
    """Another part of the bot was opened while talking to a volunteer (what it shows follows)."""
    text = "Đã kết thúc trò chuyện với tình nguyện viên."
    if rate_ticket is None:
        return Reply(text)
    return Reply(f"{text} Tình nguyện viên có giúp được bạn không ạ?", _rating_buttons(rate_ticket))


def closed_by_volunteer(name: str, rate_ticket: int | None) -> Reply:
    return _with_rating(
        f"Tình nguyện viên {name} đã kết thúc cuộc trò chuyện. Bạn quay lại với trợ lý: cứ gõ "
        "câu hỏi như bình thường nhé.",
        rate_ticket,
    )


def returned_to_bot(name: str, rate_ticket: int | None) -> Reply:
    return _with_rating(
        f"Tình nguyện viên {name} đã chuyển bạn lại cho trợ lý. Bạn cứ gõ câu hỏi như bình "
        "thường nhé.",
        rate_ticket,
    )


def closed_when_idle(hours: int, rate_ticket: int | None) -> Reply:
    return _with_rating(
        f"Cuộc trò chuyện với tình nguyện viên đã tự kết thúc vì hơn {hours} giờ không có tin "
        "nhắn mới. Khi cần, bạn bấm “Gặp tình nguyện viên” để hỏi tiếp nhé.",
        rate_ticket,
    )


def nobody_free(minutes: int, *, signup: bool) -> Reply:
    """Unclaimed for the give-up time (counted within the volunteers' hours)."""
    return Reply(
        f"Xin lỗi bạn, đã hơn {minutes} phút trong giờ trực mà chưa có tình nguyện viên nào rảnh "
        f"để trả lời. Bạn có thể nhờ người giúp trực tiếp:\n{_other_help(signup)}\n"
        "Bạn cũng có thể nhắn tình nguyện viên lại sau ạ.",
        (*_signup_buttons(signup), texts.VOLUNTEER_BUTTON, texts.MENU_BUTTON),
    )


def unavailable(*, signup: bool) -> Reply:
    """No working volunteer desk: say so instead of opening a ticket nobody sees."""
    return Reply(
        "Xin lỗi bạn, hiện tôi chưa kết nối được với tình nguyện viên. Bạn có thể nhờ người "
        f"giúp trực tiếp:\n{_other_help(signup)}\n"
        "Đừng đưa mật khẩu, mã OTP cho bất kỳ ai.",
        (*_signup_buttons(signup), texts.TOPICS_BUTTON, texts.MENU_BUTTON),
    )


def offer() -> Reply:
    """After two questions in a row the bot could not answer."""
    return Reply(
        "Có vẻ tôi chưa giúp được bạn. Bạn có muốn nhờ tình nguyện viên (người thật) trả lời "
        "không ạ?",
        (texts.VOLUNTEER_BUTTON,),
    )


def cancelled() -> Reply:
    return Reply(
        "Vâng, tôi không chuyển gì cho tình nguyện viên. Bạn cứ hỏi tôi tiếp nhé.",
        texts.main_menu_buttons(),
    )


def rated() -> Reply:
    return Reply(
        "Cảm ơn bạn đã cho biết ý kiến! Nhờ vậy các tình nguyện viên hỗ trợ bà con tốt hơn.",
        (texts.MENU_BUTTON,),
    )


def conversation_over() -> Reply:
    return Reply(
        "Cuộc trò chuyện với tình nguyện viên đã kết thúc. Bạn cứ gõ câu hỏi, tôi trả lời nhé.",
        texts.main_menu_buttons(),
    )


def not_forwarded(*, in_ticket: bool) -> Reply:
    """A sticker, voice message or file for a volunteer."""
    return Reply(
        "Loại tin nhắn này (nhãn dán, tin nhắn thoại, tệp…) chưa chuyển được cho tình nguyện "
        "viên. Bạn gõ chữ hoặc gửi ảnh giúp tôi nhé.",
        (END_BUTTON if in_ticket else CANCEL_BUTTON,),
    )


def button_while_talking() -> Reply:
    """Another feature's button pressed while the volunteer holds the conversation."""
    return Reply(
        "Bạn đang trò chuyện với tình nguyện viên nên tôi chưa mở mục đó được. Muốn dùng lại "
        "trợ lý, bạn bấm “Kết thúc trò chuyện” trước nhé.",
        (END_BUTTON,),
    )


def mydata_line(count: int, days: int) -> str:
    return (
        f"{count} cuộc trò chuyện với tình nguyện viên (nội dung tin nhắn, xóa sau {days} ngày "
        "kể từ khi kết thúc)."
    )
