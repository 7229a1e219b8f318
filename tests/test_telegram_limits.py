"""Outgoing traffic through the real Bot stack: the rate limits, the outbox sender's error mapping, and the
fake server refusing what real Telegram refuses (so the other tests can fail)."""

from __future__ import annotations

import asyncio
import time

import pytest
from fake_bot_api import FakeBotApi
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest
from telegram.ext import ExtBot

from frontdesk.outbox import DeliveryError
from handlers.telegram_app import FrontdeskRateLimiter, RateLimits, TelegramSender

TOKEN = "123456:TEST-token"
CHATS = [1001, 1002, 1003, 1004, 1005, 1006]


@pytest.fixture
async def api():
    async with FakeBotApi(TOKEN) as server:
        for chat_id in CHATS:
            server.send_text(FakeBotApi.user(chat_id), "hi")  # the citizens have talked to the bot
        yield server


async def _bot(api: FakeBotApi, limits: RateLimits) -> ExtBot:
    bot = ExtBot(TOKEN, base_url=api.base_url, rate_limiter=FrontdeskRateLimiter(limits))
    await bot.initialize()
    return bot


async def test_one_private_chat_is_throttled_but_many_chats_are_not(api):
    bot = await _bot(api, RateLimits(private_per_second=10, private_burst=2))
    try:
        began = time.monotonic()
        await asyncio.gather(*(bot.send_message(1001, f"m{i}") for i in range(6)))
        one_chat = time.monotonic() - began
        began = time.monotonic()
        await asyncio.gather(*(bot.send_message(chat, "m") for chat in CHATS))
        many_chats = time.monotonic() - began
    finally:
        await bot.shutdown()
    assert one_chat >= 0.35  # 2 at once, then 4 more at 10 per second
    assert many_chats < 0.3


async def test_a_retry_after_is_waited_out_by_the_limiter(api):
    bot = await _bot(api, RateLimits(max_retries=2))
    try:
        api.fail_next("sendMessage", status=429, retry_after=1)
        began = time.monotonic()
        await bot.send_message(1001, "after the flood wait")
        assert time.monotonic() - began >= 1.0
    finally:
        await bot.shutdown()
    assert [c.ok for c in api.calls_to("sendMessage")] == [False, True]


@pytest.mark.parametrize(("status", "permanent", "blocked", "retry_after"), [
    (403, True, True, None),
    (429, False, False, 7.0),
    (502, False, False, None),
    (500, False, False, None),
])
async def test_the_sender_maps_errors_for_the_outbox(api, status, permanent, blocked, retry_after):
    bot = await _bot(api, RateLimits(max_retries=0))
    try:
        api.fail_next("sendMessage", status=status, retry_after=7)
        with pytest.raises(DeliveryError) as raised:
            await TelegramSender(bot).send("1001", "hello")
    finally:
        await bot.shutdown()
    error = raised.value
    assert (error.permanent, error.blocked, error.retry_after) == (permanent, blocked, retry_after)


async def test_the_sender_gives_up_on_a_chat_that_does_not_exist(api):
    bot = await _bot(api, RateLimits())
    try:
        with pytest.raises(DeliveryError) as raised:
            await TelegramSender(bot).send("424242", "hello")
        assert raised.value.permanent and not raised.value.blocked
        message_id = await TelegramSender(bot).send("1001", "a & b <c>\n\n" + "长" * 5000)
    finally:
        await bot.shutdown()
    sent = api.calls_to("sendMessage", 1001)
    assert len(sent) == 2 and message_id == str(sent[-1].result["message_id"])
    assert sent[0].result["text"].startswith("a & b <c>\n\n长")  # escaped on the way, shown as written
    assert all(len(c.result["text"]) <= 4096 for c in sent)


@pytest.mark.parametrize(("text", "error"), [
    ("<b>unclosed", "Can't find end tag"),
    ("<script>x</script>", "Unsupported start tag"),
    ("fish & chips", "Character '&' is reserved"),
    ("x" * 4097, "message is too long"),
])
async def test_the_fake_server_refuses_what_telegram_refuses(api, text, error):
    bot = await _bot(api, RateLimits(private_per_second=100, private_burst=100))
    try:
        with pytest.raises(BadRequest, match=rf"(?i){error}"):
            await bot.send_message(1001, text, parse_mode="HTML")
        too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="k" * 65)]])
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(1001, "ok", reply_markup=too_long)
        sent = await bot.send_message(1001, "same")
        with pytest.raises(BadRequest, match=r"(?i)not modified"):
            await bot.edit_message_text("same", 1001, sent.message_id)
    finally:
        await bot.shutdown()


async def test_a_flooding_chat_neither_loses_order_nor_starves_other_chats():
    import datetime as dt

    from telegram import Chat, Message, Update

    from handlers.telegram_app import PerChatUpdateProcessor

    def update(number: int, chat_id: int) -> Update:
        return Update(number, message=Message(number, dt.datetime.now(dt.UTC), Chat(chat_id, Chat.PRIVATE)))

    processor = PerChatUpdateProcessor(max_concurrent_updates=4)
    release = asyncio.Event()
    handled: list[tuple[int, int]] = []

    async def handle(chat_id: int, number: int) -> None:
        if chat_id == 1:
            await release.wait()  # the flooding chat's handling is slow
        handled.append((chat_id, number))

    flood = [asyncio.create_task(processor.process_update(update(n, 1), handle(1, n))) for n in range(40)]
    other = asyncio.create_task(processor.process_update(update(99, 2), handle(2, 99)))
    await asyncio.wait_for(other, timeout=2)  # not stuck behind the flood's waiting updates
    release.set()
    await asyncio.wait_for(asyncio.gather(*flood), timeout=5)
    assert [n for chat, n in handled if chat == 1] == list(range(40))  # every one, in order
