"""Mask personal numbers (mobile and landline phones, ID-card numbers) in logs, reports and gaps output."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable

# Digits must not continue on either side, so timestamps, case numbers and long ids are left alone.
_ID_CARD = re.compile(  # region (6), birth date (8: 18xx-20xx, month 01-12), sequence (3), check digit or X
    r"(?<![0-9A-Za-z])([1-9]\d{5})((?:18|19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3})([0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)((?:\+?86[ -]?)?)(1[3-9]\d)([ -]?)(\d{4})([ -]?)(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(\(?0\d{2,3}\)?[ -]?)(\d{3,4})([ -]?)(\d{4})(?!\d)")

MASK = "*"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _id_card(match: re.Match[str]) -> str:
    region, middle, check = match.groups()
    whole = region + middle + check
    return whole[:3] + MASK * (len(whole) - 7) + whole[-4:]


def _mobile(match: re.Match[str]) -> str:
    prefix, head, sep1, middle, sep2, tail = match.groups()
    return f"{prefix}{head}{sep1}{MASK * len(middle)}{sep2}{tail}"


def _landline(match: re.Match[str]) -> str:
    area, local, sep, tail = match.groups()
    return f"{area}{MASK * len(local)}{sep}{tail}"


def _unless_public(replace: Callable[[re.Match[str]], str], keep: frozenset[str]) -> Callable[[re.Match[str]], str]:
    def sub(match: re.Match[str]) -> str:
        digits = _digits(match.group(0))
        if digits in keep or digits.removeprefix("86") in keep:
            return match.group(0)
        return replace(match)
    return sub


def public_numbers(texts: Iterable[str]) -> frozenset[str]:
    """Return the phone numbers (as digits) written in public texts such as FAQ answers, to leave unmasked."""
    found = set()
    for text in texts:
        for pattern in (_MOBILE, _LANDLINE):
            found.update(_digits(m.group(0)) for m in pattern.finditer(text))
    return frozenset(found)


def mask(text: str, keep: frozenset[str] = frozenset()) -> str:
    """Return text with ID-card and phone numbers masked (first 3 and last 4 digits kept), except `keep` numbers."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID_CARD.sub(_id_card, text)
    text = _MOBILE.sub(_unless_public(_mobile, keep), text)
    return _LANDLINE.sub(_unless_public(_landline, keep), text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks phone and ID-card numbers in each record's message before it is written."""

    def __init__(self, keep: frozenset[str] = frozenset()):
        super().__init__()
        self.keep = keep

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message with its masked form; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: let logging report it as usual
            return True
        masked = mask(message, self.keep)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info), self.keep)
        return True


def install_masking(logger: logging.Logger | None = None) -> MaskingFilter:
    """Add one MaskingFilter to every handler of `logger` (default: the root logger) and return it."""
    logger = logger or logging.getLogger()
    masking = next((f for h in logger.handlers for f in h.filters if isinstance(f, MaskingFilter)), None)
    masking = masking or MaskingFilter()
    for handler in logger.handlers:
        if masking not in handler.filters:
            handler.addFilter(masking)
    return masking
