"""Citizens' buttons and captions end to end on Telegram: a press is answered in the conversation's language,
whatever the phone's language, and a photo's caption is read as the citizen's words.

Each test starts the real Application against the local fake Bot API server (tests/fake_bot_api.py), as
tests/test_telegram_e2e.py does (the harness is tests/telegram_harness.py).
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from fake_bot_api import FakeBotApi
from telegram_harness import GROUP, bot_fixture, knowledge_fixture

GERMAN_PHONE = FakeBotApi.user(2001, "Alice", language_code="de")  # writes English
NO_LANGUAGE = FakeBotApi.user(2002, "Bob", language_code=None)  # writes English; Telegram sent no language
ENGLISH_PHONE = FakeBotApi.user(2003, "李", language_code="en")  # writes Chinese
CITIZEN = FakeBotApi.user(2004, "王", language_code="zh-hans")
FAQ = """\
version: 1
entries:
  - id: health-code-yellow
    category: 健康码
    questions: [健康码变黄了怎么办, 为什么我的健康码是黄码, "My health code turned yellow, what should I do?"]
    answer: {zh: "黄码请按提示完成三天两检。", en: "With a yellow code take two tests in three days."}
  - id: health-code-red
    category: 健康码
    questions: [健康码变红了怎么办, My health code turned red]
    answer: {zh: "红码请居家并联系社区。", en: "With a red code stay home and call your community office."}
"""
COMPLAINT = "我要投诉这家药店哄抬口罩价格，这是照片"

knowledge = knowledge_fixture(FAQ)
bot = bot_fixture()


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("user", [GERMAN_PHONE, NO_LANGUAGE], ids=["de", "none"])
async def test_an_english_writer_presses_english_choices_and_is_answered_in_english(bot, user):
    bot.api.send_text(user, "health code")
    offer = await bot.said_to(user, "Did you mean")
    yellow = next(d for d in bot.buttons(offer.result) if d.startswith("faq:health-code-yellow:"))
    bot.api.press(user, offer.result, yellow)
    await bot.said_to(user, "two tests in three days")
    feedback = await bot.said_to(user, "Was this answer helpful?")
    edit = await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == offer.result["message_id"])
    assert "Chosen:" in edit.params["text"]
    bot.api.press(user, feedback.result, bot.buttons(feedback.result)[1])  # not helpful
    sorry = await bot.said_to(user, "Shall I pass you to a person?")
    bot.api.press(user, sorry.result, bot.buttons(sorry.result)[0])
    await bot.said_to(user, "I have passed you to our staff as case #1")
    case = await bot.store.get_case(1)
    assert (case.language, case.question, case.reason) == ("en", "health code", "not_helpful")
    assert not [c for c in bot.api.calls_to("sendMessage", user["id"]) if has_chinese(c.params["text"])]


async def test_a_chinese_writer_on_an_english_phone_is_answered_in_chinese(bot):
    bot.api.send_text(ENGLISH_PHONE, "健康码")
    offer = await bot.said_to(ENGLISH_PHONE, "您是想问以下哪个问题")
    bot.api.press(ENGLISH_PHONE, offer.result, bot.buttons(offer.result)[0])
    await bot.said_to(ENGLISH_PHONE, "以上答复对您有帮助吗")
    edit = await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == offer.result["message_id"])
    assert "已选择" in edit.params["text"]
    sent = [c.params["text"] for c in bot.api.calls_to("sendMessage", ENGLISH_PHONE["id"])]
    assert len(sent) == 3 and all(has_chinese(t) for t in sent)


async def test_a_photo_captioned_with_a_question_is_answered(bot):
    bot.api.send_photo(CITIZEN, "PHOTO1", caption="健康码变黄了怎么办")
    await bot.said_to(CITIZEN, "三天两检")
    assert not [c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "只能读懂文字" in c.params["text"]]
    assert await bot.store.active_case_for("telegram", str(CITIZEN["id"])) is None


async def test_a_photo_captioned_with_a_complaint_opens_a_case_and_goes_under_its_card(bot, caplog):
    caplog.set_level(logging.ERROR)
    photo = bot.api.send_photo(CITIZEN, "PHOTO2", caption=COMPLAINT)
    await bot.said_to(CITIZEN, "您的投诉/举报已登记，工单号 #1")
    card = await bot.api.wait_for(
        "sendMessage", lambda c: c.params["chat_id"] == GROUP and COMPLAINT in c.params["text"])
    copy = await bot.api.wait_for("copyMessage")
    assert copy.params["from_chat_id"] == CITIZEN["id"] and copy.params["message_id"] == photo["message_id"]
    assert copy.params["reply_parameters"]["message_id"] == card.result["message_id"]
    (line,) = await bot.store.messages(1)
    assert line.text == COMPLAINT and line.attachment.kind == "photo" and line.attachment.ref == "PHOTO2-1280"
    await asyncio.sleep(0.3)
    assert len(bot.api.calls_to("copyMessage")) == 1  # shown once, under the card
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_full_width_slash_command_is_answered_and_kept_out_of_the_case_thread(bot):
    bot.api.send_text(CITIZEN, "我想问一下停车场收费标准")
    await bot.said_to(CITIZEN, "工单号 #1")
    bot.api.send_text(CITIZEN, "／status")
    await bot.said_to(CITIZEN, "工单 #1：等待值班人员接单")
    bot.api.send_text(CITIZEN, "／stop")  # not a desk command: it joins the case like any other words
    await bot.said_to(CITIZEN, "已将您的消息补充到工单 #1")
    await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP and "/stop" in c.params["text"])
    group = [c.params["text"] for c in bot.api.calls_to("sendMessage", GROUP)]
    assert not [t for t in group if "status" in t]
    assert [m.text for m in await bot.store.messages(1)] == ["我想问一下停车场收费标准", "/stop"]
