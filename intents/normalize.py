"""Normalise citizen text: width, case, traditional to simplified Chinese, punctuation."""

from __future__ import annotations

import re
import unicodedata

import zhconv

_PUNCT = re.compile(r"[^\w\s]|_", re.UNICODE)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Return text in NFKC, lower case, simplified Chinese, with punctuation turned into spaces."""
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-cn")
    text = text.casefold()
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()
