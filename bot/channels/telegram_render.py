"""Reply -> Telegram: HTML escaping, splitting at 4096 characters, inline keyboards.

Pure functions, no I/O, so they are easy to test and to reuse (outbox and direct replies).
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Button, Link, Reply

# https://core.telegram.org/bots/api#sendmessage: 1-4096 characters after entity parsing.
# Telegram counts UTF-16 code units, so an emoji outside the BMP counts twice: we do too.
MAX_MESSAGE_CHARS = 4096
# https://core.telegram.org/bots/api#sendphoto: a caption is 0-1024 characters.
MAX_CAPTION_CHARS = 1024
# https://core.telegram.org/bots/api#inlinekeyboardbutton: callback_data is 1-64 bytes.
MAX_CALLBACK_BYTES = 64
# Marks a hashed payload; core payloads are `namespace:...`, so they never start with it.
TOKEN_PREFIX = "#"


@dataclass(frozen=True)
class Part:
    """One Telegram message: HTML text and the keyboard (only on the last part)."""

    html: str
    keyboard: InlineKeyboardMarkup | None


def render(reply: Reply, limit: int = MAX_MESSAGE_CHARS) -> list[Part]:
    """Split, escape, add the links (short HTML links) and the buttons to the last part."""
    chunks = split_text(reply.text, limit)
    parts = [escape(chunk) for chunk in chunks]
    if reply.links:
        links = "\n".join(link_html(link) for link in reply.links)
        # Telegram counts the visible text: the links' labels, not their tags.
        if utf16_len(chunks[-1]) + 2 + utf16_len(_visible(links)) <= limit:
            parts[-1] = f"{parts[-1]}\n\n{links}"
        else:
            parts.append(links)
    keyboard = keyboard_for(reply.buttons)
    return [
        Part(html_text, keyboard if index == len(parts) - 1 else None)
        for index, html_text in enumerate(parts)
    ]


def render_with_photo(reply: Reply) -> list[Part]:
    """The parts of a reply with a picture: the first is the picture's caption (empty when
    the text is too long for one; the text then follows in messages of its own)."""
    parts = render(reply, MAX_CAPTION_CHARS)
    if len(parts) == 1:
        return parts
    return [Part("", None), *render(reply)]


def link_html(link: Link) -> str:
    """<a href="...">label</a>, or the escaped label and URL when the URL is not http(s)
    (or the label alone: a first-hand source has no URL)."""
    if not link.url.startswith(("https://", "http://")):
        return escape(f"{link.label} {link.url}".rstrip())
    return f'<a href="{html.escape(link.url, quote=True)}">{escape(link.label)}</a>'


def _visible(text: str) -> str:
    """What Telegram counts of HTML: tags do not count, an entity counts as one character."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def escape(text: str) -> str:
    """Core texts are plain: everything is escaped for parse_mode=HTML."""
    # quote=False: quotes need no escaping outside attributes, and &quot; in Vietnamese
    # text only makes the HTML harder to read in logs.
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Cut at paragraph, then line, then word boundaries so each part fits in `limit`."""
    text = text.strip() or text
    parts: list[str] = []
    while utf16_len(text) > limit:
        head = _prefix_within(text, limit)
        cut = _best_cut(head)
        part, text = text[:cut].rstrip(), text[cut:].lstrip()
        if part:
            parts.append(part)
    if text or not parts:
        parts.append(text)
    return parts


def _prefix_within(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def _best_cut(head: str) -> int:
    """Where to cut inside `head`: after a blank line, a line, a sentence, a word, or hard."""
    floor = len(head) // 3  # do not produce tiny parts just to respect a boundary
    for separator in ("\n\n", "\n", ". ", " "):
        position = head.rfind(separator)
        if position > floor:
            return position + len(separator)
    return max(len(head), 1)


def keyboard_for(buttons: Iterable[Button]) -> InlineKeyboardMarkup | None:
    """One button per row: labels are long Vietnamese questions, read by older people."""
    rows = [
        [InlineKeyboardButton(button.label, callback_data=callback_data_for(button.payload))]
        for button in buttons
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def callback_data_for(payload: str) -> str:
    """The payload itself when it fits in 64 bytes, otherwise a hash token (41 bytes)."""
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(TOKEN_PREFIX):
        return payload
    return TOKEN_PREFIX + hashlib.sha1(payload.encode("utf-8")).hexdigest()


def is_token(data: str) -> bool:
    return data.startswith(TOKEN_PREFIX)


def resolve_token(data: str, shown: Iterable[str]) -> str | None:
    """The payload among the buttons last shown whose token is `data`, if any."""
    return next((payload for payload in shown if callback_data_for(payload) == data), None)
