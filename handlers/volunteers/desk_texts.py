"""Vietnamese texts the volunteers read in their group: the ticket card, relays, reminders."""

from __future__ import annotations

from typing import Any

from bot.clock import format_local
from bot.messages import Button, Reply
from bot.privacy import mask_id
from storage.models import Ticket, TicketOutcome, TicketStatus

BUTTON_CLAIM = "🙋 Nhận"
BUTTON_RETURN = "↩️ Trả lại cho bot"
BUTTON_RELEASE = "🔁 Chuyển"
BUTTON_CLOSE = "✅ Đóng"
BUTTON_SAVE = "📝 Lưu thành câu hỏi thường gặp"
# Commands a claimer may type in the ticket's topic (or as a reply) instead of the buttons.
COMMANDS = {"tralai": "return", "chuyen": "release", "dong": "close", "luu": "save"}

CHANNEL_NAMES = {
    "telegram": "Telegram",
    "web": "trang web",
    "console": "máy trạm",
    "zalo_oa": "Zalo OA",
    "zalo_bot": "Zalo",
}
OUTCOMES = {
    TicketOutcome.ENDED: "người dân đã kết thúc",
    TicketOutcome.CLOSED: "tình nguyện viên đã đóng",
    TicketOutcome.RETURNED: "đã trả lại cho bot",
    TicketOutcome.UNCLAIMED: "không ai nhận kịp, đã báo người dân tìm cách khác",
    TicketOutcome.IDLE: "tự đóng vì lâu không có tin nhắn",
}


def payload(action: str, ticket_id: int) -> str:
    return f"desk:{action}:{ticket_id}"


def topic_title(ticket: Ticket) -> str:
    return f"Phiếu #{ticket.id} · {CHANNEL_NAMES.get(ticket.channel, ticket.channel)}"


def _where(ticket: Ticket) -> str:
    return "nhắn trong chủ đề này" if ticket.thread_id else "trả lời (reply) vào tin của phiếu"


def card(
    ticket: Ticket, question: str, *, picture: bool, can_save: bool, draft_id: int | None
) -> Reply:
    """The ticket as the group sees it, rendered from its state (edited when that changes)."""
    channel = CHANNEL_NAMES.get(ticket.channel, ticket.channel)
    lines = [
        f"🆕 Phiếu #{ticket.id} · {channel} · người dân {mask_id(ticket.chat_id)}",
        f"Gửi lúc {format_local(ticket.opened_at)}",
        "",
        "❓ Câu hỏi:",
        question.strip() or "(không có chữ)",
    ]
    if picture:
        lines.append("(kèm một ảnh, gửi ngay sau phiếu)")
    if ticket.context:
        lines += ["", "🗂 Trước đó người dân đã hỏi trợ lý (đã che số, mã, tên):"]
        lines += [_exchange(item) for item in ticket.context]
    lines += ["", _status(ticket, draft_id)]
    return Reply("\n".join(lines), _buttons(ticket, can_save))


def _exchange(item: dict[str, Any]) -> str:
    suggested = item.get("suggested")
    bot = f"trợ lý gợi ý “{suggested}”" if suggested else "trợ lý chưa trả lời được"
    return f"• {item.get('question', '')} → {bot}"


def _status(ticket: Ticket, draft_id: int | None) -> str:
    if ticket.status == TicketStatus.WAITING:
        return (
            "⏳ Chưa có người nhận. Bấm “Nhận” để trả lời; chỉ tin nhắn của người nhận "
            f"({_where(ticket)}) mới được chuyển cho người dân."
        )
    if ticket.status == TicketStatus.CLAIMED:
        name = ticket.volunteer_name or "?"
        return (
            f"✋ {name} đang hỗ trợ. Tin nhắn của {name} ({_where(ticket)}) được chuyển cho "
            f"người dân, chỉ kèm tên {name}."
        )
    outcome = OUTCOMES.get(ticket.outcome or TicketOutcome.CLOSED, "")
    saved = f"\n📝 Đã lưu bản nháp câu hỏi thường gặp #{draft_id}." if draft_id else ""
    return f"✅ Đã đóng: {outcome}.{saved}"


def _buttons(ticket: Ticket, can_save: bool) -> tuple[Button, ...]:
    if ticket.status == TicketStatus.WAITING:
        return (Button(BUTTON_CLAIM, payload("claim", ticket.id)),)
    if ticket.status == TicketStatus.CLAIMED:
        return tuple(
            Button(label, payload(action, ticket.id))
            for label, action in (
                (BUTTON_RETURN, "return"),
                (BUTTON_RELEASE, "release"),
                (BUTTON_CLOSE, "close"),
            )
        )
    return (Button(BUTTON_SAVE, payload("save", ticket.id)),) if can_save else ()


def citizen_says(ticket_id: int, text: str, *, picture: bool = False) -> str:
    head = f"👤 Người dân (phiếu #{ticket_id})" + (" gửi ảnh" if picture else "")
    return f"{head}:\n{text.strip()}" if text.strip() else head


def not_forwarded(ticket_id: int) -> str:
    return (
        f"👤 Người dân (phiếu #{ticket_id}) vừa gửi một nhãn dán, tin nhắn thoại hoặc tệp; "
        "trợ lý chưa chuyển được loại này và đã nhờ người dân gõ chữ."
    )


def reminder(ticket_id: int, minutes: int, *, waiting: bool) -> Reply:
    """The one re-ping of an unclaimed ticket (its button goes once someone took it)."""
    if not waiting:
        return Reply(f"⏰ Phiếu #{ticket_id}: đã có người nhận hoặc đã đóng.")
    return Reply(
        f"⏰ Phiếu #{ticket_id} vẫn đang chờ người nhận ({minutes} phút trong giờ trực).",
        (Button(BUTTON_CLAIM, payload("claim", ticket_id)),),
    )


def citizen_left(ticket_id: int) -> str:
    return (
        f"👤 Người dân đã kết thúc trò chuyện (phiếu #{ticket_id}). Tin nhắn gửi tiếp sẽ không "
        "đến người dân nữa."
    )


def closed_when_idle(ticket_id: int, hours: int) -> str:
    return (
        f"⌛ Phiếu #{ticket_id} tự đóng sau {hours} giờ không có tin nhắn mới. Người dân đã "
        "được báo."
    )


def citizen_erased(ticket_id: int) -> str:
    return (
        f"🔒 Người dân đã xóa dữ liệu của mình: phiếu #{ticket_id} đã đóng và trợ lý không còn "
        "lưu nội dung. Mong các bạn xóa các tin nhắn của phiếu này trong nhóm."
    )


def not_claimed_yet(ticket_id: int) -> Reply:
    return Reply(
        f"Phiếu #{ticket_id} chưa có người nhận nên tin vừa rồi chưa được chuyển. Bấm “Nhận” "
        "trên phiếu rồi gửi lại nhé."
    )


def already_closed(ticket_id: int) -> Reply:
    return Reply(f"Phiếu #{ticket_id} đã đóng, tin vừa rồi không được chuyển cho người dân.")


def not_relayed(ticket_id: int) -> Reply:
    return Reply(
        f"Tin nhắn thoại, nhãn dán hay tệp chưa chuyển được cho người dân (phiếu #{ticket_id}). "
        "Bạn gõ chữ hoặc gửi ảnh nhé."
    )


def draft_saved(ticket_id: int, draft_id: int) -> Reply:
    return Reply(
        f"📝 Đã lưu câu hỏi và câu trả lời của phiếu #{ticket_id} thành bản nháp #{draft_id}, "
        "chờ ban tổ chức duyệt."
    )


def nothing_to_save(ticket_id: int) -> Reply:
    return Reply(f"Phiếu #{ticket_id} chưa có câu trả lời nào của tình nguyện viên để lưu.")
