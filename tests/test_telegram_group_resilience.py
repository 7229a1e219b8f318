"""The operators' group stays complete when Telegram refuses or loses things, end to end against the fake Bot API.

A card refused after its forum topic opened is posted later in that topic (never a second topic); a deleted topic
is opened again with the card and the line that found it gone; a citizen line the group refused is posted at a
later sweep; a reply to the bot's own message about a case reaches that case (and one about several cases gets a
hint); debug logging keeps the libraries' payload dumps out of the log.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sys

from fake_bot_api import FakeBotApi
from telegram_harness import (
    CITIZEN,
    CITIZEN_EN,
    GROUP,
    OPERATOR,
    ROOT,
    TOKEN,
    UNMATCHED,
    YELLOW_FAQ,
    bot_fixture,
    knowledge_fixture,
    running,
    stopped,
)
from telegram_harness import Bot as HarnessBot

from handlers.telegram_app import services_of

FAQ = YELLOW_FAQ


class Bot(HarnessBot):
    """The harness's bot, with the group's sends, the cards and a case's recorded posts at hand."""

    def group_sends(self, contains: str, *, ok: bool = True) -> list:
        """Return the sendMessage calls to the group containing `contains` that succeeded (or failed)."""
        return [c for c in self.api.calls_to("sendMessage", GROUP) if contains in c.params["text"] and c.ok == ok]

    def cards(self) -> list:
        """Return the case cards the bot posted in the group (the messages with a case's buttons)."""
        return [c for c in self.api.calls_to("sendMessage", GROUP)
                if c.ok and "op:take:" in str(c.params.get("reply_markup"))]

    async def posts(self, number: int, kind: str) -> list:
        """Return the case's posts of one kind the store recorded."""
        return [p for p in await self.store.case_posts(number, "telegram") if p.kind == kind]


knowledge = knowledge_fixture(FAQ)
_running = functools.partial(running, bot_class=Bot)
bot = bot_fixture(Bot)
forum = bot_fixture(Bot, forum=True)


# -- forum topics ---------------------------------------------------------------------------------------------


async def test_a_card_refused_after_its_topic_opened_is_posted_later_in_that_topic(forum):
    forum.api.fail_next("sendMessage", times=3, status=502, chat_id=GROUP)  # the card is refused three times
    card = await forum.handoff()
    [topic] = forum.api.calls_to("createForumTopic")
    thread = topic.result["message_thread_id"]
    assert card["message_thread_id"] == thread
    await asyncio.sleep(0.6)  # three more sweeps
    assert len(forum.api.calls_to("createForumTopic")) == 1 and len(forum.cards()) == 1
    assert [p.message_id for p in await forum.posts(1, "topic")] == [str(thread)]
    forum.api.send_text(CITIZEN, "补充：是市政停车场")
    line = await forum.posted("补充：是市政停车场")
    assert line.params["message_thread_id"] == thread
    assert line.params["reply_parameters"]["message_id"] == card["message_id"]


async def test_a_deleted_topic_is_opened_again_with_the_card_and_the_line_that_found_it_gone(forum):
    await forum.handoff()
    old = forum.api.calls_to("createForumTopic")[0].result["message_thread_id"]
    forum.api.delete_topic(GROUP, old)  # an operator deleted the case's topic
    seen = len(forum.api.calls)
    for text in ("补充：我的车牌是粤B12345", "还有人在吗？"):
        forum.api.send_text(CITIZEN, text)
        await forum.said_to(CITIZEN, "已将您的消息补充到工单 #1", after=len(forum.api.calls))
    first, second = await forum.posted("粤B12345", after=seen), await forum.posted("还有人在吗", after=seen)
    topics = forum.api.calls_to("createForumTopic")
    assert len(topics) == 2
    new = topics[1].result["message_thread_id"]
    [card] = [c for c in forum.cards() if c.params.get("message_thread_id") == new]
    assert "工单 #1" in card.params["text"] and UNMATCHED in card.params["text"]
    for line in (first, second):
        assert line.params["message_thread_id"] == new
        assert line.params["reply_parameters"]["message_id"] == card.result["message_id"]
    assert len(forum.group_sends("粤B12345")) == 1 and len(forum.group_sends("还有人在吗")) == 1
    forum.api.press(OPERATOR, card.result, "op:take:1")
    await forum.said_to(CITIZEN, "工作人员已接手")
    forum.api.send_text(OPERATOR, "已收到车牌号。", chat=forum.group, thread_id=new)  # the new topic is the case's
    await forum.said_to(CITIZEN, "已收到车牌号")


async def test_a_deleted_topic_falls_back_to_the_main_chat_when_no_topic_can_be_opened(forum):
    await forum.handoff()
    old = forum.api.calls_to("createForumTopic")[0].result["message_thread_id"]
    forum.api.delete_topic(GROUP, old)
    forum.api.fail_next("createForumTopic", status=400, description="Bad Request: not enough rights to create a topic")
    forum.api.send_text(CITIZEN, "补充：是市政停车场")
    line = await forum.posted("补充：是市政停车场")
    [card] = [c for c in forum.cards() if c.params.get("message_thread_id") is None]
    assert "工单 #1" in card.params["text"]
    assert line.params.get("message_thread_id") is None
    assert line.params["reply_parameters"]["message_id"] == card.result["message_id"]


# -- citizen lines the group refused --------------------------------------------------------------------------


async def test_a_citizen_line_and_photo_the_group_refused_are_posted_at_later_sweeps_in_order(bot):
    await bot.handoff()
    bot.api.fail_next("sendMessage", status=502, chat_id=GROUP)
    bot.api.send_text(CITIZEN, "我的车牌是粤B12345")
    await bot.said_to(CITIZEN, "已将您的消息补充到工单 #1")
    bot.api.fail_next("copyMessage", status=502)
    bot.api.send_photo(CITIZEN, "PHOTO9", caption="缴费凭证")
    await bot.said_to(CITIZEN, "附到工单 #1")
    line = await bot.posted("粤B12345")
    copy = await bot.api.wait_for("copyMessage")
    assert line.at < copy.at  # the line that waited is shown before what the citizen sent after it
    assert "缴费凭证" in copy.params["caption"]
    await asyncio.sleep(0.6)  # three more sweeps: nothing is posted twice
    assert len(bot.group_sends("粤B12345")) == 1 and len([c for c in bot.api.calls_to("copyMessage") if c.ok]) == 1
    assert len(await bot.posts(1, "citizen")) == 2
    assert services_of(bot.app).room.waiting == {}


async def test_a_long_line_refused_halfway_posts_only_the_rest_later(bot):
    await bot.handoff()
    text = "\n".join(f"第{i}行：我在三号停车场停了一整天，想问一下夜间的收费标准。" for i in range(140))[:4096]
    lines = text.splitlines()  # as long as Telegram lets a citizen write: with the case's label, two parts
    bot.api.fail_next("sendMessage", status=502, chat_id=GROUP, after=1)  # the first part goes, the second fails
    bot.api.send_text(CITIZEN, text)
    await bot.said_to(CITIZEN, "已将您的消息补充到工单 #1")
    await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP, ok=False)
    await bot.posted(lines[-1])
    parts = [c.params["text"] for c in bot.group_sends("行：")]
    assert len(parts) == 2 and all("".join(parts).count(line) == 1 for line in lines)


# -- replies to the bot's own messages in the group -----------------------------------------------------------


async def test_a_reply_to_the_bots_answers_about_a_case_reaches_its_citizen(bot):
    await bot.handoff()
    bot.api.send_text(OPERATOR, "/take 1", chat=bot.group)
    took = await bot.posted("已接手 #1")
    await bot.said_to(CITIZEN, "工作人员已接手")
    bot.api.send_text(OPERATOR, "您好，停车场首小时免费。", chat=bot.group, reply_to=took.result)
    await bot.said_to(CITIZEN, "首小时免费")
    await bot.api.wait_for("setMessageReaction")
    bot.api.send_text(OPERATOR, "/history 1", chat=bot.group)
    history = await bot.posted("首小时免费", after=len(bot.api.calls))
    bot.api.send_text(OPERATOR, "夜间每小时2元。", chat=bot.group, reply_to=history.result)
    await bot.said_to(CITIZEN, "夜间每小时2元")
    assert {p.message_id for p in await bot.posts(1, "notice")} >= {str(took.result["message_id"]),
                                                                     str(history.result["message_id"])}


async def test_a_reply_to_an_overdue_alert_reaches_its_case(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, claim_limits={"urgent": 0.3, "high": 0.3, "normal": 0.3})
    try:
        card = await bot.handoff()
        alert = await bot.posted("超时未接：#1")
        bot.api.press(OPERATOR, card, "op:take:1")
        await bot.said_to(CITIZEN, "工作人员已接手")
        bot.api.send_text(OPERATOR, "抱歉久等，马上为您查询。", chat=bot.group, reply_to=alert.result)
        await bot.said_to(CITIZEN, "马上为您查询")
    finally:
        await stopped(bot)


async def test_a_reply_to_the_queue_gets_a_hint_and_reaches_no_citizen(bot):
    await bot.handoff()
    await bot.handoff(CITIZEN_EN, "How much is parking at the town hall?")
    bot.api.send_text(OPERATOR, "/queue", chat=bot.group)
    queue = await bot.posted("待接工单共 2 件")
    bot.api.send_text(OPERATOR, "谁来接一下？", chat=bot.group, reply_to=queue.result)
    hint = await bot.posted("不属于某一个工单")
    assert hint.params["reply_parameters"]["message_id"] != queue.result["message_id"]  # it answers the operator
    mine = bot.api.send_text(OPERATOR, "我来", chat=bot.group)
    bot.api.send_text(OPERATOR, "好的", chat=bot.group, reply_to=mine)  # operators among themselves: no hint
    bot.api.send_text(OPERATOR, "/mine", chat=bot.group)  # handled after the reply: the chat's updates run in order
    await bot.posted("没有", after=len(bot.api.calls))
    assert len(bot.group_sends("不属于某一个工单")) == 1
    assert not bot.api.calls_to("setMessageReaction")
    for citizen in (CITIZEN, CITIZEN_EN):
        assert not [c for c in bot.api.calls_to("sendMessage", citizen["id"]) if "谁来接" in c.params["text"]]


# -- logs -------------------------------------------------------------------------------------------------------


async def test_debug_logging_keeps_citizens_texts_and_names_out_of_the_libraries_lines(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "OPERATOR_", "FRONTDESK_"))}
    async with FakeBotApi(TOKEN) as api:
        api.add_group(GROUP)
        environ.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=api.base_url, OPERATOR_CHAT_ID=str(GROUP),
                       OPERATOR_IDS="9001", FRONTDESK_LOG_LEVEL="DEBUG")
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), "--settings", str(ROOT / "settings.yaml"), "run",
            "--faq", str(faq), "--db", str(tmp_path / "bot.sqlite3"),
            cwd=tmp_path, env=environ, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        try:
            await api.wait_for("deleteWebhook", timeout=30)  # polling is starting
            api.send_text(FakeBotApi.user(1001, "Secretname"), "停车场收费 秘密文本XYZ")
            await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP, timeout=10)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
            _, err = await asyncio.wait_for(process.communicate(), 20)
    log = err.decode()
    assert process.returncode == 0, log
    assert "INFO telegram.ext.Application" in log  # the libraries still say what they do
    for secret in ("秘密文本XYZ", "\\u79d8\\u5bc6", "Secretname", TOKEN):
        assert secret not in log


async def test_the_citizen_is_answered_before_the_group_is_told(bot):
    """The group is slow (about 20 messages a minute) and may fail: the citizen's reply must not wait for it."""
    await bot.handoff()
    sends = [c for c in bot.api.calls if c.method == "sendMessage"]
    to_citizen = next(i for i, c in enumerate(sends) if c.params["chat_id"] == CITIZEN["id"])
    to_group = next(i for i, c in enumerate(sends) if c.params["chat_id"] == GROUP)
    assert to_citizen < to_group
