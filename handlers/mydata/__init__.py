"""“My data”: show a citizen what is stored about them and delete it on request.

Every feature that stores personal data declares a `PersonalData` source; this feature
asks all of them, plus the core's own rows (conversation, update keys, messages queued to
the person, their page's mailbox, their stored questions).
"""

from __future__ import annotations

from bot.features import Feature, PersonalData
from bot.messages import Reply
from bot.privacy import person_key
from bot.routing import Router
from bot.turn import Turn
from handlers import texts as common
from handlers.mydata import texts as say
from storage import unanswered
from storage.erasure import erase_chat


def _person_key(turn: Turn) -> str:
    incoming = turn.incoming
    return person_key(turn.app.privacy_key, incoming.channel, incoming.chat_id)


async def _describe_core(turn: Turn) -> list[str]:
    lines = [say.form_in_progress()] if turn.state.flow else []
    questions = await unanswered.count_for(turn.db, _person_key(turn))
    if questions:
        lines.append(say.stored_questions(questions))
    return lines


async def _delete_core(turn: Turn) -> int:
    """The conversation row, update keys, messages queued for the person, stored questions."""
    incoming = turn.incoming
    removed = await erase_chat(turn.db, incoming.channel, incoming.chat_id, _person_key(turn))
    turn.state.reset()
    turn.erase_conversation = True
    return 1 + sum(removed.values())


CORE_DATA = PersonalData(_describe_core, _delete_core)


def _sources(turn: Turn) -> list[PersonalData]:
    return [f.personal_data for f in turn.app.features if f.personal_data is not None]


async def show(turn: Turn) -> list[Reply]:
    lines = [
        line for source in (CORE_DATA, *_sources(turn)) for line in await source.describe(turn)
    ]
    return [say.stored(lines) if lines else say.nothing_stored()]


async def delete(turn: Turn) -> list[Reply]:
    # Features first (cancelling a sign-up may queue messages to others), the core rows last.
    for source in (*_sources(turn), CORE_DATA):
        await source.delete(turn)
    return [say.deleted()]


async def mydata_button(turn: Turn) -> list[Reply]:
    match (turn.payload or "").split(":")[1:]:
        case ["delete"]:
            return [say.confirm_delete()]
        case ["confirm"]:
            return await delete(turn)
    return await show(turn)


def register(router: Router) -> None:
    """`mydata:show`, `mydata:delete`, `mydata:confirm` and the /dulieu, /xoadulieu commands."""
    router.payload("mydata", mydata_button)
    router.command("dulieu", common.PAYLOAD_MY_DATA, "Xem dữ liệu của tôi")
    router.command("xoadulieu", say.PAYLOAD_DELETE, "Xóa dữ liệu của tôi")


feature = Feature(name="mydata", register=register)
