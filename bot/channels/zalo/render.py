"""Reply -> Zalo: OA messages with up to 5 query buttons, Zalo Bot texts with numbered lists.

How a tap comes back: an `oa.query.show` button makes the citizen send its payload to the
OA as an ordinary text message (O2, O7). The payload we put there is the
button's label itself, so the chat reads naturally ("Sáng thứ Bảy" appears as their
message). The core payload (`signup:pick:12`) never travels through Zalo: the adapter maps
the text back with `resolve_tap` against the buttons it last showed in that chat. A typed
or forged text can therefore only press a button this very citizen was just offered, the
same as typing its number; it can never name another payload.

Pure functions, no I/O. Lengths are counted in code points after NFC normalisation
(O5 §2): decomposed Vietnamese would otherwise count twice.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from bot.messages import Button, Link, Reply

# OA (O6, O3) and Bot (S5, S6, S7): both surfaces take 1-2000 characters.
MAX_TEXT_CHARS = 2000
# The official PHP SDK "only support 5 buttons" (O2).
MAX_BUTTONS = 5
# O7 (BUTTON_TYPES_GUIDE): a title is at most 100 characters.
MAX_TITLE_CHARS = 100
QUERY_BUTTON = "oa.query.show"
URL_BUTTON = "oa.open.url"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def render_oa(reply: Reply, first_number: int = 1) -> list[dict[str, Any]]:
    """OA `message` objects in order; the buttons go on the last one.

    More than 5 buttons become a numbered list in the text; `first_number` is the number of
    the first button, for a turn whose earlier replies already showed buttons. Links become
    `oa.open.url` buttons after the others when all of them fit in the 5, else text lines.
    """
    buttons = reply.buttons
    numbered = len(buttons) > MAX_BUTTONS
    links_as_buttons = (
        not numbered
        and len(buttons) + len(reply.links) <= MAX_BUTTONS
        and all(_opens(link) for link in reply.links)
    )
    text = nfc(reply.text)
    if not links_as_buttons:
        text = with_links(text, reply.links)
    if numbered:
        text, buttons = with_numbered_list(text, buttons, first_number), ()
    messages: list[dict[str, Any]] = [{"text": part} for part in split_text(text)]
    shown = [_query_button(button) for button in buttons]
    if links_as_buttons:
        shown += [_url_button(link) for link in reply.links]
    if shown:
        messages[-1]["attachment"] = {"type": "template", "payload": {"buttons": shown}}
    return messages


def render_bot(reply: Reply, first_number: int = 1) -> list[str]:
    """Zalo Bot texts: it has no buttons at all (S1, S2, S5), so always a numbered list."""
    text = with_links(nfc(reply.text), reply.links)
    if reply.buttons:
        text = with_numbered_list(text, reply.buttons, first_number)
    return split_text(text)


def with_links(text: str, links: Iterable[Link]) -> str:
    """The text, a blank line, then one 'label url' line per link."""
    lines = [f"{nfc(link.label).strip()} {link.url}" for link in links]
    return "\n\n".join([text, "\n".join(lines)]) if lines else text


def with_numbered_list(text: str, buttons: Iterable[Button], first_number: int = 1) -> str:
    """The text, a blank line, then one '1. label' line per button."""
    lines = [f"{n}. {nfc(b.label).strip()}" for n, b in enumerate(buttons, start=first_number)]
    return "\n\n".join([text, "\n".join(lines)]) if lines else text


def query_text(button: Button) -> str:
    """What a tap on this button sends back: its label, as the title shows it."""
    return nfc(button.label).strip()[:MAX_TITLE_CHARS]


def resolve_tap(text: str, shown: Iterable[Button]) -> str | None:
    """The payload of the shown button whose tap sends exactly `text`, if any."""
    wanted = nfc(text).strip()
    return next((b.payload for b in shown if query_text(b) == wanted), None)


def _query_button(button: Button) -> dict[str, str]:
    title = query_text(button)
    return {"title": title, "type": QUERY_BUTTON, "payload": title}


def _opens(link: Link) -> bool:
    """Whether an `oa.open.url` button can carry this link (a web address, O2, O7)."""
    return link.url.startswith(("https://", "http://")) and bool(link.label.strip())


def _url_button(link: Link) -> dict[str, Any]:
    title = nfc(link.label).strip()[:MAX_TITLE_CHARS]
    return {"title": title, "type": URL_BUTTON, "payload": {"url": link.url}}


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """Cut at paragraph, then line, sentence and word boundaries so each part fits."""
    text = text.strip() or text
    parts: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text[:limit])
        part, text = text[:cut].rstrip(), text[cut:].lstrip()
        if part:
            parts.append(part)
    if text or not parts:
        parts.append(text)
    return parts


def _best_cut(head: str) -> int:
    """Where to cut inside `head`: after a blank line, a line, a sentence, a word, or hard."""
    floor = len(head) // 3  # do not produce tiny parts just to respect a boundary
    for separator in ("\n\n", "\n", ". ", " "):
        position = head.rfind(separator)
        if position > floor:
            return position + len(separator)
    return len(head)
