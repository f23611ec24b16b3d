"""“My data”: show a citizen what is stored about them and delete it on request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.messages import Button, Reply
from bot.privacy import person_key
from bot.routing import Router
from bot.turn import Turn
from handlers import texts
from storage import unanswered
from storage.erasure import erase_chat


@dataclass(frozen=True)
class PersonalDataSource:
    """One feature's stored personal data: how to describe it and how to delete it."""

    describe: Callable[[Turn], Awaitable[list[str]]]
    delete: Callable[[Turn], Awaitable[int]]


def _person_key(turn: Turn) -> str:
    incoming = turn.incoming
    return person_key(turn.app.privacy_key, incoming.channel, incoming.chat_id)


async def _describe_conversation(turn: Turn) -> list[str]:
    lines = []
    if turn.state.flow:
        lines.append("Phần bạn đang làm dở (có thể gồm họ tên, số điện thoại bạn vừa nhập).")
    questions = await unanswered.count_for(turn.db, _person_key(turn))
    if questions:
        lines.append(
            f"{questions} câu hỏi tôi chưa trả lời được, lưu lại để bổ sung nội dung "
            "(đã ẩn tên và các dãy số)."
        )
    return lines


async def _delete_conversation(turn: Turn) -> int:
    """The conversation row, update keys, messages queued for the person, stored questions."""
    incoming = turn.incoming
    removed = await erase_chat(turn.db, incoming.channel, incoming.chat_id, _person_key(turn))
    turn.state.reset()
    turn.erase_conversation = True
    return 1 + sum(removed.values())


CONVERSATION_SOURCE = PersonalDataSource(_describe_conversation, _delete_conversation)


def register(router: Router, sources: Sequence[PersonalDataSource]) -> None:
    """`mydata:show`, `mydata:delete`, `mydata:confirm` and the /dulieu, /xoadulieu commands."""
    all_sources = (CONVERSATION_SOURCE, *sources)

    async def show(turn: Turn) -> list[Reply]:
        lines = [line for source in all_sources for line in await source.describe(turn)]
        if not lines:
            return [
                Reply(
                    "Hiện tôi không lưu thông tin cá nhân nào của bạn (tên, số điện thoại).",
                    (texts.MENU_BUTTON,),
                )
            ]
        body = "\n".join(f"• {line}" for line in lines)
        return [
            Reply(
                f"Thông tin tôi đang lưu về bạn:\n{body}\n\n"
                "Bạn có quyền yêu cầu xóa bất cứ lúc nào.",
                (Button("🗑️ Xóa dữ liệu của tôi", "mydata:delete"), texts.MENU_BUTTON),
            )
        ]

    async def ask_delete(turn: Turn) -> list[Reply]:
        return [
            Reply(
                "Bạn chắc chắn muốn xóa toàn bộ thông tin của mình chứ ạ? "
                "Các lượt đăng ký buổi hỗ trợ (nếu có) cũng sẽ bị hủy.",
                (
                    Button("✅ Đồng ý xóa", "mydata:confirm"),
                    Button("Không, giữ lại", texts.PAYLOAD_MENU),
                ),
            )
        ]

    async def delete(turn: Turn) -> list[Reply]:
        # Features first (cancelling a sign-up may queue messages), the core rows last.
        for source in (*sources, CONVERSATION_SOURCE):
            await source.delete(turn)
        return [
            Reply(
                "Đã xóa thông tin của bạn. Cảm ơn bạn đã tin dùng trợ lý!",
                texts.main_menu_buttons(),
            )
        ]

    async def mydata_button(turn: Turn) -> list[Reply]:
        action = (turn.payload or "").partition(":")[2]
        if action == "delete":
            return await ask_delete(turn)
        if action == "confirm":
            return await delete(turn)
        return await show(turn)

    router.payload("mydata", mydata_button)
    router.command("dulieu", texts.PAYLOAD_MY_DATA, "Xem dữ liệu của tôi")
    router.command("xoadulieu", "mydata:delete", "Xóa dữ liệu của tôi")
