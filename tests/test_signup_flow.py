"""Sign-ups through the dispatcher: the whole form, its mistakes, viewing, cancelling, my data."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.clock import format_local
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.runtime import router_for
from handlers import texts
from handlers.registry import FEATURES
from handlers.signup.validation import clean_name, code_in, normalize_phone
from handlers.texts import CORE_TEXTS
from storage import signups
from storage.models import Conversation, OutboxMessage
from tests.signup_support import add_sessions, book_via_chat, rows, spec, walk_to_summary
from tests.support import Chat, joined, payloads

CODE = re.compile(r"Mã đăng ký: ([A-Z0-9]{6})")


def code_of(replies: list[Reply]) -> str:
    match = CODE.search(joined(replies))
    assert match is not None, joined(replies)
    return match.group(1)


def assert_way_out(replies: list[Reply]) -> None:
    """No dead ends: the last reply offers at least one button."""
    assert replies and replies[-1].buttons, joined(replies)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("+84 0912.345.678", "0912345678"),
        ("091-234-5678", "0912345678"),
        ("(+84) 386 123 456", "0386123456"),
        ("0084 705 123 456", "0705123456"),
    ],
)
def test_vietnamese_mobile_numbers_are_normalized(typed: str, stored: str) -> None:
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize(
    "typed", ["12345", "0212345678", "091234567", "09123456789", "số tôi", "0612345678", ""]
)
def test_wrong_numbers_are_rejected(typed: str) -> None:
    assert normalize_phone(typed) is None


def test_names_and_codes() -> None:
    assert clean_name("  nguyễn   thị lan ") == "Nguyễn Thị Lan"
    assert clean_name("Lê Văn Tám") == "Lê Văn Tám"
    assert clean_name("0912345678") is None
    assert clean_name("a") is None
    assert code_in("hủy ABC234") == "ABC234"
    assert code_in("Huỷ mã abc-234") == "ABC234"
    assert code_in("hủy đăng ký ABC 234") == "ABC234"
    assert code_in("hủy chuyển khoản") is None  # no digit: a word, not a code
    assert code_in("hủy thẻ ATM") is None


async def test_whole_flow_books_a_seat(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("nghia-hanh", capacity=5))
    replies = await chat.press(texts.PAYLOAD_SIGNUP)
    assert "còn 5 chỗ" in joined(replies)
    replies = await chat.press(f"signup:pick:{ids['nghia-hanh']}")
    assert "đồng ý" in joined(replies)
    assert {"signup:consent:yes", "signup:consent:no", "signup:cancel"} <= set(payloads(replies))
    assert "họ và tên" in joined(await chat.press("signup:consent:yes"))
    assert "Cảm ơn bạn Lan" in joined(await chat.say("nguyễn thị lan"))
    replies = await chat.say("+84 912.345.678")
    assert "signup:need:0" in payloads(replies)
    summary = joined(await chat.say("Cài ứng dụng VNeID cho mẹ"))
    assert "Nguyễn Thị Lan" in summary and "0912345678" in summary
    assert "Cài ứng dụng VNeID cho mẹ" in summary
    replies = await chat.press("signup:confirm")
    text = joined(replies)
    assert "Đăng ký thành công" in text
    session = spec("nghia-hanh")
    assert format_local(session.starts_at) in text
    assert session.place in text and session.bring in text
    code = code_of(replies)
    assert all(ch not in code for ch in "01OIL")
    [row] = await rows(app)
    assert (row.status, row.phone, row.full_name, row.code) == (
        "confirmed",
        "0912345678",
        "Nguyễn Thị Lan",
        code,
    )
    assert_way_out(replies)


async def test_wrong_phone_gets_an_example_and_can_be_fixed(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await chat.press("signup:start")
    await chat.press(f"signup:pick:{ids['s']}")
    await chat.press("signup:consent:yes")
    assert "Bạn gõ giúp tôi họ và tên" in joined(await chat.say("12345"))
    await chat.say("Trần Văn Bình")
    for wrong in ("12345", "0212345678", "số điện thoại của tôi"):
        replies = await chat.say(wrong)
        assert "chưa đúng" in joined(replies) and "0912 345 678" in joined(replies)
        assert_way_out(replies)
    assert "Bạn cần hỗ trợ việc gì" in joined(await chat.say("0386.123.456"))


async def test_declining_consent_stores_nothing(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await chat.press("signup:start")
    await chat.press(f"signup:pick:{ids['s']}")
    replies = await chat.press("signup:consent:no")
    assert "chưa lưu thông tin nào" in joined(replies)
    assert_way_out(replies)
    assert await rows(app) == []
    async with app.open_db() as db:
        conversation = (await db.execute(select(Conversation))).scalar_one()
    assert conversation.flow is None
    assert "answers" not in conversation.data


async def test_back_and_cancel_at_any_step(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await chat.press("signup:start")
    await chat.press(f"signup:pick:{ids['s']}")
    await chat.press("signup:consent:yes")
    await chat.say("Lê Thị Hoa")
    assert "họ và tên" in joined(await chat.press("signup:back"))
    assert "đồng ý" in joined(await chat.say("quay lại"))
    await chat.press("signup:consent:yes")
    await chat.say("Lê Thị Hoa")
    assert await chat.say("HUỶ") == [texts.form_cancelled()]
    assert await rows(app) == []
    # The first step has no "back"; the engine says so and asks again.
    await chat.press("signup:start")
    replies = await chat.press("signup:back")
    assert replies[0] == texts.form_at_first_step()


async def test_half_filled_form_survives_a_restart(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await chat.press("signup:start")
    await chat.press(f"signup:pick:{ids['s']}")
    await chat.press("signup:consent:yes")
    await chat.say("Phạm Văn Hùng")
    restarted = Chat(Dispatcher(app, router_for(FEATURES), CORE_TEXTS), chat_id=chat.chat_id)
    assert "Bạn cần hỗ trợ việc gì" in joined(await restarted.say("0987654321"))
    await restarted.press("signup:need:unsure")
    assert "Đăng ký thành công" in joined(await restarted.press("signup:confirm"))
    [row] = await rows(app)
    assert (row.full_name, row.phone) == ("Phạm Văn Hùng", "0987654321")


async def test_double_tap_on_confirm_books_once(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await walk_to_summary(chat, ids["s"])
    assert "Đăng ký thành công" in joined(await chat.press("signup:confirm"))
    assert "đã được ghi nhận" in joined(await chat.press("signup:confirm"))
    assert len(await rows(app)) == 1


async def test_same_person_cannot_hold_two_bookings_for_one_session(
    app: AppContext, chat: Chat
) -> None:
    ids = await add_sessions(app, spec("s"))
    code = code_of(await book_via_chat(chat, ids["s"]))
    replies = await chat.press("signup:start")
    assert "Bạn đang có 1 lượt đăng ký" in joined(replies)
    replies = await chat.press(f"signup:pick:{ids['s']}")
    assert "đã đăng ký buổi này rồi" in joined(replies) and code in joined(replies)
    assert_way_out(replies)
    assert len(await rows(app)) == 1


async def test_view_and_cancel_by_button_and_by_code(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("a", day=3), spec("b", day=5))
    first = code_of(await book_via_chat(chat, ids["a"]))
    second = code_of(await book_via_chat(chat, ids["b"]))
    replies = await chat.say("/cuatoi")
    assert first in joined(replies) and second in joined(replies)
    row_a = (await rows(app))[0]
    confirm = await chat.press(f"signup:drop:{row_a.id}")
    assert "chắc chắn muốn hủy" in joined(confirm)
    assert "Đã hủy" in joined(await chat.press(f"signup:dropok:{row_a.id}"))
    assert "đã được hủy rồi" in joined(await chat.press(f"signup:dropok:{row_a.id}"))
    assert "Đã hủy" in joined(await chat.say(f"hủy {second.lower()}"))
    assert {r.status for r in await rows(app)} == {"cancelled"}
    assert "Bạn chưa có lượt đăng ký" in joined(await chat.press("signup:mine"))
    assert "không tìm thấy" in joined(await chat.say("huỷ mã ABC234"))


async def test_nobody_cancels_someone_elses_booking(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    ids = await add_sessions(app, spec("s"))
    owner, other = Chat(dispatcher, "owner"), Chat(dispatcher, "other")
    code = code_of(await book_via_chat(owner, ids["s"]))
    [row] = await rows(app)
    assert "không tìm thấy" in joined(await other.say(f"hủy {code}"))
    await other.press(f"signup:dropok:{row.id}")
    assert (await rows(app))[0].status == "confirmed"


async def test_full_session_offers_the_waitlist(app: AppContext, dispatcher: Dispatcher) -> None:
    ids = await add_sessions(app, spec("s", capacity=1))
    await book_via_chat(Chat(dispatcher, "first"), ids["s"])
    late = Chat(dispatcher, "late")
    await late.press("signup:start")
    replies = await late.press(f"signup:pick:{ids['s']}")
    assert "đã đủ 1 người" in joined(replies)
    assert {"signup:wait", "signup:back"} <= set(payloads(replies))
    assert "Mời bạn chọn buổi" in joined(await late.press("signup:back"))
    replies = await book_via_chat(late, ids["s"])
    assert "danh sách chờ" in joined(replies) and "thứ tự số 1" in joined(replies)


async def test_free_text_and_commands_enter_the_flow(app: AppContext, chat: Chat) -> None:
    await add_sessions(app, spec("s"))
    for text in ("đăng ký buổi hỗ trợ", "dang ky ho tro", "dk ho tro", "/dangky", "/start dangky"):
        assert "Mời bạn chọn buổi" in joined(await chat.say(text)), text
        await chat.press(texts.PAYLOAD_MENU)
    for question in ("đăng ký định danh mức 2", "dang ky tam tru", "hủy thẻ ngân hàng"):
        replies = await chat.say(question)
        assert "Mời bạn chọn buổi" not in joined(replies), question
        assert "signup:pick" not in " ".join(payloads(replies))


async def test_many_sessions_are_filtered_by_commune_and_paged(app: AppContext, chat: Chat) -> None:
    specs = [spec(f"a{day}", day=day, commune="Phường Cẩm Thành") for day in range(1, 8)]
    specs += [spec("b1", day=2, commune="Xã Ba Tơ")]
    ids = await add_sessions(app, *specs)
    replies = await chat.press("signup:start")
    assert "Có 8 buổi" in joined(replies)
    assert "Phường Cẩm Thành (7 buổi)" in [b.label for b in replies[-1].buttons]
    replies = await chat.say("ba to")  # typed, without diacritics
    assert payloads(replies)[0] == f"signup:pick:{ids['b1']}"
    await chat.press("signup:communes")
    replies = await chat.press("signup:commune:0")
    assert "trang 1/2" in joined(replies) and "signup:page:1" in payloads(replies)
    replies = await chat.press("signup:page:1")
    assert "trang 2/2" in joined(replies)
    assert f"signup:pick:{ids['a7']}" in payloads(replies)


async def test_no_upcoming_session_is_said_kindly(app: AppContext, chat: Chat) -> None:
    replies = await chat.press("signup:start")
    assert "chưa có buổi hỗ trợ" in joined(replies)
    assert texts.PAYLOAD_MENU in payloads(replies)


async def test_my_data_shows_masked_phone_and_deletes_with_promotion(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    ids = await add_sessions(app, spec("s", capacity=1))
    holder, waiting = Chat(dispatcher, "holder"), Chat(dispatcher, "waiting")
    await book_via_chat(holder, ids["s"], phone="0912345678")
    await book_via_chat(waiting, ids["s"])
    shown = joined(await holder.press(texts.PAYLOAD_MY_DATA))
    assert "09******78" in shown and "0912345678" not in shown and "Nguyễn Thị Lan" in shown
    await holder.press("mydata:confirm")
    remaining = await rows(app)
    assert [(r.chat_id, r.status) for r in remaining] == [("waiting", "confirmed")]
    async with app.open_db() as db:
        notices = (await db.execute(select(OutboxMessage))).scalars().all()
    assert [(n.channel, n.chat_id) for n in notices] == [("fake", "waiting")]
    assert "Tin vui" in notices[0].reply["text"]
    assert "đang lưu" not in joined(await holder.press(texts.PAYLOAD_MY_DATA))


async def test_session_started_meanwhile_is_refused(app: AppContext, chat: Chat) -> None:
    ids = await add_sessions(app, spec("s"))
    await walk_to_summary(chat, ids["s"])
    async with app.transaction() as db:
        session = await signups.lock_session(db, ids["s"])
        assert session is not None
        session.starts_at = app.clock.now()
    replies = await chat.press("signup:confirm")
    assert "không còn nhận đăng ký" in joined(replies)
    assert await rows(app) == []
