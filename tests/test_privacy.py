"""Masking personal numbers: phones and ID cards in text and in log records; other numbers left alone."""

from __future__ import annotations

import io
import logging

import pytest

from frontdesk.privacy import MaskingFilter, install_masking, mask, public_numbers


@pytest.mark.parametrize("raw, masked", [
    ("我的手机13812345678，请回电", "我的手机138****5678，请回电"),
    ("电话 138-1234-5678 或 139 1234 5678", "电话 138-****-5678 或 139 **** 5678"),
    ("+86 13912345678", "+86 139****5678"),
    ("身份证 110101199003071234", "身份证 110***********1234"),
    ("ID 11010119900307123X.", "ID 110***********123X."),
    ("座机 0571-87654321", "座机 0571-****4321"),
    ("(010)87654321", "(010)****4321"),
    ("call 021 6123 4567 now", "call 021 **** 4567 now"),
])
def test_phones_and_id_cards_are_masked(raw, masked):
    assert mask(raw) == masked


@pytest.mark.parametrize("text", [
    "case #1234 at 1750000000.5",        # epoch seconds and case numbers
    "1750000000123 ms",                  # a 13-digit timestamp is not a phone
    "拨打 12345 或 120",                  # hotline and emergency numbers
    "2026-11-27 10:00, 8:00-17:00",      # dates and times
    "order 123456789012345678901",       # a long id is not an ID card
    "",
])
def test_other_numbers_are_left_alone(text):
    assert mask(text) == text


def test_public_numbers_from_faq_answers_stay_readable():
    keep = public_numbers(["如遇问题请拨打 0571-8888 1234（24 小时）"])
    assert mask("热线 0571-8888 1234，我家 0571-8765 4321", keep) == "热线 0571-8888 1234，我家 0571-**** 4321"


def test_log_records_are_masked_before_they_are_written():
    stream = io.StringIO()
    logger = logging.getLogger("frontdesk.test.privacy")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        assert install_masking(logger) is install_masking(logger)  # installing twice adds one filter
        assert sum(isinstance(f, MaskingFilter) for f in handler.filters) == 1
        logger.warning("case %d: citizen wrote %r", 12, "我是13812345678，身份证110101199003071234")
        try:
            raise ValueError("bad number 13912345678")
        except ValueError:
            logger.exception("failed for %s", "13700001111")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "case 12: citizen wrote '我是138****5678，身份证110***********1234'" in written
    assert "failed for 137****1111" in written and "bad number 139****5678" in written
    for secret in ("13812345678", "110101199003071234", "13912345678", "13700001111"):
        assert secret not in written
