"""Tell whether a message is Chinese or English."""

from __future__ import annotations

DEFAULT_LANGUAGE = "zh"


def detect_language(text: str, fallback: str = DEFAULT_LANGUAGE) -> str:
    """Return "zh" when the text has Chinese characters, "en" when it has Latin letters only, else fallback."""
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if cjk:
        return "zh"
    if latin >= 2:
        return "en"
    return fallback
