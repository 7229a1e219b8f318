"""Make untrusted text (what citizens write) safe to show in a terminal or a Markdown report."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps \t and \n; drops ESC sequences' lead-ins
# Invisible characters that reorder or hide what a line shows: bidi marks, embeddings, overrides and isolates,
# zero-width spaces and joiners, the word joiner and invisible operators, the byte-order mark.
_INVISIBLE = re.compile("[\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
_SEPARATOR = re.compile("[\u2028\u2029]")  # line and paragraph separators: line breaks a terminal may not show
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def for_terminal(text: str) -> str:
    """Return text without control or invisible characters, so it cannot move the cursor, recolour or reorder a
    terminal; line and paragraph separators become spaces (only \\n breaks a line)."""
    return _SEPARATOR.sub(" ", _INVISIBLE.sub("", _CONTROL.sub("", text)))


def continued_lines(text: str, continuation: str) -> str:
    """Return text whose every line break (\\n, \\r, U+2028 ...) starts a line beginning with `continuation`.

    Text shown inside a line of someone else's output cannot then start a line of its own that passes for
    theirs (a forged alert under a citizen's message).
    """
    lines = text.splitlines() or [""]
    return ("\n" + continuation).join(lines)


def for_markdown(text: str) -> str:
    """Return text as one inert line of Markdown: no markup, links, images or raw HTML take effect."""
    text = " ".join(for_terminal(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)
