"""Rendering for Telegram: escaping, splitting under 4096, keyboards and callback data."""

from __future__ import annotations

from fake_bot_api import parse_html

from frontdesk.model import Choice, OutgoingMessage
from handlers.telegram_render import (
    MAX_CALLBACK_DATA,
    CallbackCodec,
    button_label,
    escape,
    keyboard,
    render,
    rendered_length,
    split_text,
)


def test_escape_makes_citizen_text_inert_in_html_mode():
    text = '<b>bold</b> & <a href="x">link</a> &amp; 5 > 3'
    assert escape(text) == '&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href="x"&gt;link&lt;/a&gt; &amp;amp; 5 &gt; 3'
    assert parse_html(escape(text)) == text


def test_short_text_is_one_part():
    assert split_text("你好") == ["你好"]
    assert split_text("") == [""]


def test_long_text_splits_at_paragraphs_and_every_part_fits():
    paragraph = "第一段内容，" * 300  # 1800 characters
    text = "\n\n".join([paragraph] * 4)
    parts = split_text(text)
    assert len(parts) == 2
    assert all(rendered_length(p) <= 4096 for p in parts)
    assert all(p.startswith("第一段") and p.endswith("，") for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def test_the_limit_counts_the_escaped_form():
    text = "&" * 3000  # 3000 characters, 15000 once escaped
    parts = split_text(text)
    assert all(len(escape(p)) <= 4096 for p in parts)
    assert "".join(parts) == text


def test_text_without_any_break_is_cut_hard():
    parts = split_text("x" * 9000)
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_short_labels_go_two_to_a_row_long_ones_one():
    codec = CallbackCodec()
    short = keyboard([Choice("fb:y:1", "有帮助"), Choice("fb:n:1", "没帮助，转人工")], codec)
    assert [[b.callback_data for b in row] for row in short.inline_keyboard] == [["fb:y:1", "fb:n:1"]]
    long = keyboard([Choice("faq:a", "健康码变黄了怎么办，需要做几次核酸检测"), Choice("faq:b", "b")], codec)
    assert len(long.inline_keyboard) == 2
    assert keyboard([], codec) is None


def test_keys_longer_than_64_bytes_travel_as_a_token():
    codec = CallbackCodec()
    key = "faq:" + "关于居家隔离期间生活物资保障的常见问题" * 2
    data = codec.encode(key)
    assert len(data.encode()) <= MAX_CALLBACK_DATA and data != key
    assert codec.decode(data) == key
    assert codec.decode("t:unknown") is None
    assert codec.encode("faq:short") == "faq:short"


def test_render_puts_the_keyboard_on_the_last_part():
    reply = OutgoingMessage("段落。" * 2000, (Choice("fb:y:1", "有帮助"),), "answer")
    parts = render(reply, CallbackCodec())
    assert len(parts) == 2 and parts[0].markup is None and parts[1].markup is not None
    assert button_label(parts[1].markup, "fb:y:1") == "有帮助"
    assert button_label(parts[1].markup, "fb:n:1") is None
