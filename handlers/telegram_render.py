"""Rendering for Telegram: HTML escaping, splitting under the length limit, and choices as inline keyboards.

Everything the core says is plain text; it is escaped here and sent with HTML parse mode, so text a citizen
(or an FAQ maintainer) wrote can never be read as markup. Only our own templates add tags, around text that
has already been escaped.
"""

from __future__ import annotations

import hashlib
import html
from collections import OrderedDict
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import InlineKeyboardButtonLimit, MessageLimit

from frontdesk.model import Choice, OutgoingMessage

MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
MAX_CAPTION = MessageLimit.CAPTION_LENGTH  # 1024
MAX_CALLBACK_DATA = InlineKeyboardButtonLimit.MAX_CALLBACK_DATA  # 64 bytes
SHORT_LABEL = 14  # choices whose labels are all this short go two to a row
TOKEN_PREFIX = "t:"  # callback data standing for a key too long to fit in 64 bytes
TOKENS_KEPT = 10_000  # long keys remembered in memory; an older token gets the "expired" answer
_BREAKS = ("\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ")


def escape(text: str) -> str:
    """Escape text for Telegram's HTML parse mode (<, > and &)."""
    return html.escape(text, quote=False)


def rendered_length(text: str) -> int:
    """Return how long the escaped text is, in UTF-16 code units as Telegram counts."""
    return len(escape(text).encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split plain text into parts whose escaped form fits `limit`, breaking at paragraphs, lines, then sentences."""
    text = text.strip("\n")
    parts: list[str] = []
    while rendered_length(text) > limit:
        cut = _fitting_prefix(text, limit)
        head = text[:cut]
        at = -1
        for mark in _BREAKS:
            found = head.rfind(mark)
            if found > cut // 3:  # do not make a tiny part just to break at a nice place
                at = found + len(mark)
                break
        if at <= 0:
            at = cut
        parts.append(text[:at].rstrip())
        text = text[at:].lstrip("\n ")
    if text or not parts:
        parts.append(text)
    return parts


def _fitting_prefix(text: str, limit: int) -> int:
    """Return the longest prefix length of `text` whose escaped form fits `limit`."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if rendered_length(text[:mid]) <= limit:
            low = mid
        else:
            high = mid - 1
    return max(low, 1)


def clip(text: str, limit: int) -> str:
    """Shorten plain text to at most `limit` characters, marking the cut with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + "…"


class CallbackCodec:
    """Turns choice keys into callback data of at most 64 bytes and back; long keys go through a short token."""

    def __init__(self, kept: int = TOKENS_KEPT):
        self._long: OrderedDict[str, str] = OrderedDict()
        self._kept = kept

    def encode(self, key: str) -> str:
        """Return the callback data for a choice key."""
        if len(key.encode()) <= MAX_CALLBACK_DATA and not key.startswith(TOKEN_PREFIX):
            return key
        token = TOKEN_PREFIX + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        self._long[token] = key
        self._long.move_to_end(token)
        while len(self._long) > self._kept:
            self._long.popitem(last=False)
        return token

    def decode(self, data: str) -> str | None:
        """Return the choice key for callback data, or None for a token this process no longer knows."""
        if data.startswith(TOKEN_PREFIX):
            return self._long.get(data)
        return data


def keyboard(choices: tuple[Choice, ...] | list[Choice], codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    """Lay choices out as an inline keyboard: short labels two to a row, longer ones one per row."""
    if not choices:
        return None
    buttons = [InlineKeyboardButton(choice.label, callback_data=codec.encode(choice.key)) for choice in choices]
    per_row = 2 if all(len(choice.label) <= SHORT_LABEL for choice in choices) else 1
    return InlineKeyboardMarkup([buttons[i:i + per_row] for i in range(0, len(buttons), per_row)])


@dataclass(frozen=True)
class Rendered:
    """One Telegram message ready to send: HTML text and an optional inline keyboard."""

    html: str
    markup: InlineKeyboardMarkup | None = None


def render(reply: OutgoingMessage, codec: CallbackCodec) -> list[Rendered]:
    """Turn one neutral reply into Telegram messages; its choices ride on the last part."""
    parts = split_text(reply.text)
    rendered = [Rendered(escape(part)) for part in parts]
    rendered[-1] = Rendered(rendered[-1].html, keyboard(reply.choices, codec))
    return rendered


def button_label(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """Return the label of the button carrying `data` in a keyboard, if it is there."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
