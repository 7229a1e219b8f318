"""Make untrusted text (what citizens write) safe to show in a terminal or a Markdown report."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # keeps \t and \n; drops ESC sequences' lead-ins
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def for_terminal(text: str) -> str:
    """Return text without control characters, so it cannot move the cursor or recolour a terminal."""
    return _CONTROL.sub("", text)


def for_markdown(text: str) -> str:
    """Return text as one inert line of Markdown: no markup, links, images or raw HTML take effect."""
    text = " ".join(for_terminal(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN.sub(r"\\\1", text)
