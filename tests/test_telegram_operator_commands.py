"""Operators' commands and buttons in the Telegram group, end to end against the fake Bot API server.

Which case a command acts on when it is sent under a case's card, commands meant for another bot, case numbers
no case can have, and a card Telegram refuses to edit after the action has happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi

from frontdesk.knowledge import KnowledgeBase
from frontdesk.settings import load_settings
from handlers.telegram_app import Intervals, RateLimits, build_application, services_of, start, stop

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token"
GROUP = -1001234567890
OPERATOR = FakeBotApi.user(9001, "Wang", language_code="zh-hans")
OUTSIDER = FakeBotApi.user(9002, "Visitor", language_code="en")
CITIZEN = FakeBotApi.user(1001, "张三", language_code="zh-hans")
CITIZEN_EN = FakeBotApi.user(1002, "Alice", "Smith", language_code="en")
HUGE = "99999999999999999999"  # beyond SQLite's INTEGER
FAQ = """\
version: 1
entries:
  - id: health-code-yellow
    category: 健康码
    questions:
      - 健康码变黄了怎么办
      - My health code turned yellow, what should I do?
    answer: {zh: "黄码请按提示完成三天两检。", en: "With a yellow code take two tests in three days."}
"""
UNMATCHED = "我想问一下停车场收费标准"


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory):
    faq = tmp_path_factory.mktemp("faq") / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    settings = load_settings(ROOT / "settings.yaml", environ={})
    return KnowledgeBase(faq, settings.intents_path, settings.messages_paths)


class Bot:
    """A running bot against a fake Bot API server, with shortcuts for what the tests look at."""

    def __init__(self, api: FakeBotApi, app, group: dict):
        self.api = api
        self.app = app
        self.group = group

    @property
    def store(self):
        """Return the bot's case store."""
        return services_of(self.app).store

    async def said_to(self, user: dict, contains: str, **kw):
        """Wait for a successful sendMessage to the user's chat containing the text."""
        return await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == user["id"] and contains in c.params["text"], **kw)

    async def posted(self, contains: str, **kw):
        """Wait for a successful sendMessage to the operators' group containing the text."""
        return await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == GROUP and contains in c.params["text"], **kw)

    def group_posts(self, contains: str) -> list[str]:
        """Return the texts posted in the operators' group that contain `contains`."""
        return [c.params["text"] for c in self.api.calls_to("sendMessage", GROUP) if contains in c.params["text"]]

    def texts_to(self, user: dict) -> list[str]:
        """Return the texts sent to a user's private chat."""
        return [c.params["text"] for c in self.api.calls_to("sendMessage", user["id"])]

    async def handoff(self, user: dict = CITIZEN, text: str = UNMATCHED) -> dict:
        """Have the citizen write something the FAQ cannot answer; return the case card message."""
        seen = len(self.api.calls)
        self.api.send_text(user, text)
        call = await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == GROUP and "op:take:" in str(c.params.get("reply_markup")),
            after=seen)
        return call.result

    def buttons(self, message: dict) -> list[str]:
        """Return the callback data of a sent message's buttons, as the server now has the message."""
        current = self.api.messages[(message["chat"]["id"], message["message_id"])]
        markup = current.get("reply_markup") or {"inline_keyboard": []}
        return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]

    async def two_cases_second_current(self) -> tuple[dict, dict]:
        """Open #1 (张三) and #2 (Alice), both taken by OPERATOR, #2 last: #2 is the operator's current case."""
        first = await self.handoff()
        second = await self.handoff(CITIZEN_EN, "How much is parking at the town hall?")
        self.api.press(OPERATOR, first, "op:take:1")
        await self.said_to(CITIZEN, "工作人员已接手")
        self.api.press(OPERATOR, second, "op:take:2")
        await self.said_to(CITIZEN_EN, "taken")
        return first, second


async def _running(tmp_path, knowledge, *, forum=False, claim_limits=None) -> Bot:
    """Start a bot on tmp_path/bot.sqlite3 against a new fake Bot API server, with operators 9001 and 9003."""
    api = await FakeBotApi(TOKEN).start()
    group = api.add_group(GROUP, "值班群", forum=forum)
    settings = load_settings(ROOT / "settings.yaml", environ={"OPERATOR_IDS": "9001,9003"})
    queue = dataclasses.replace(settings.queue, claim_limits=claim_limits or settings.queue.claim_limits)
    settings = dataclasses.replace(
        settings, faq_path=knowledge.faq_path, db_path=tmp_path / "bot.sqlite3", telegram_token=TOKEN,
        telegram_base_url=api.base_url, operator_chat_id=str(GROUP), queue=queue,
    )
    app = build_application(settings, knowledge, limits=RateLimits(private_per_second=50, private_burst=50),
                            intervals=Intervals(outbox=0.2, sweep=0.2, reload=0, poll_timeout=1))
    await start(app)
    return Bot(api, app, group)


async def _stopped(bot: Bot) -> None:
    await asyncio.wait_for(stop(bot.app), 15)  # a shutdown that hangs fails the test instead of the run
    await bot.api.stop()


@pytest.fixture
async def bot(tmp_path, knowledge):
    running = await _running(tmp_path, knowledge)
    yield running
    await _stopped(running)


def handler_errors(caplog) -> list[str]:
    """Return the handler failures the application logged."""
    return [r.getMessage() for r in caplog.records if r.name == "handlers.telegram_app" and r.levelno >= logging.ERROR]


# -- a command under a case's message acts on that case ---------------------------------------------------


@pytest.mark.parametrize("command", ["/transfer 9003", "/transfer 9003 请跟进"])
async def test_transfer_to_a_numeric_operator_id_under_a_card_moves_that_case(bot, command):
    first, _ = await bot.two_cases_second_current()
    bot.api.send_text(OPERATOR, command, chat=bot.group, reply_to=first)
    await bot.posted("已把 #1 转给 9003")
    first_case, second_case = await bot.store.get_case(1), await bot.store.get_case(2)
    assert (first_case.operator_id, second_case.operator_id) == ("9003", "9001")  # the current case is untouched


@pytest.mark.parametrize("text", ["1.5小时后给您回电", "10:30前给您回电", "2 小时内会有工作人员给您打电话"])
async def test_a_reply_command_under_a_card_goes_to_that_case_with_its_leading_digits(bot, text):
    first, _ = await bot.two_cases_second_current()
    bot.api.send_text(OPERATOR, f"/reply {text}", chat=bot.group, reply_to=first)
    delivered = await bot.said_to(CITIZEN, text)
    assert delivered.params["text"] == text  # verbatim, digits and all
    await bot.posted("将送达 #1")
    assert not [t for t in bot.texts_to(CITIZEN_EN) if "给您" in t]


async def test_a_command_under_a_card_naming_another_case_is_refused(bot):
    first, _ = await bot.two_cases_second_current()
    bot.api.send_text(OPERATOR, "/reply #2 您好，请提供车牌号。", chat=bot.group, reply_to=first)
    refusal = await bot.posted("却写了 #2")
    assert "#1" in refusal.params["text"]
    bot.api.send_text(OPERATOR, "/resolve #2", chat=bot.group, reply_to=first)
    await bot.api.wait_until(lambda: len(bot.group_posts("却写了 #2")) == 2, what="second refusal")
    bot.api.send_text(OPERATOR, "/reply #1 您好，请提供车牌号。", chat=bot.group, reply_to=first)  # the same case
    await bot.said_to(CITIZEN, "您好，请提供车牌号。")
    assert not [t for t in bot.texts_to(CITIZEN) if "#1 您好" in t]
    assert not [t for t in bot.texts_to(CITIZEN_EN) if "车牌号" in t]
    assert [(await bot.store.get_case(n)).status for n in (1, 2)] == ["claimed", "claimed"]


async def test_a_bare_number_under_a_card_names_the_case_where_only_a_case_can_follow(bot):
    first = await bot.handoff()
    await bot.handoff(CITIZEN_EN, "How much is parking at the town hall?")
    bot.api.send_text(OPERATOR, "/take 2", chat=bot.group, reply_to=first)  # under #1: unclear, refused
    await bot.posted("却写了 #2")
    bot.api.send_text(OPERATOR, "/take 1", chat=bot.group, reply_to=first)
    await bot.posted("已接手 #1")
    bot.api.send_text(OPERATOR, "/history #1", chat=bot.group, reply_to=first)
    await bot.posted("工单 #1（处理中")
    assert [(await bot.store.get_case(n)).status for n in (1, 2)] == ["claimed", "open"]


async def test_a_command_in_a_cases_forum_topic_acts_on_that_case(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, forum=True)
    try:
        await bot.two_cases_second_current()
        thread = (await bot.api.wait_for("createForumTopic")).result["message_thread_id"]  # the topic of #1
        bot.api.send_text(OPERATOR, "/reply 2 小时内给您回电", chat=bot.group, thread_id=thread)
        await bot.said_to(CITIZEN, "2 小时内给您回电")
        assert not [t for t in bot.texts_to(CITIZEN_EN) if "回电" in t]
    finally:
        await _stopped(bot)


# -- commands for another bot ---------------------------------------------------------------------------------


async def test_commands_addressed_to_another_bot_are_left_alone(bot):
    await bot.handoff()
    bot.api.send_text(OPERATOR, "/take@other_helper_bot", chat=bot.group)
    bot.api.send_text(OUTSIDER, "/start@other_helper_bot", chat=bot.group)
    bot.api.send_text(OPERATOR, f"/queue@{bot.api.username}", chat=bot.group)  # ours: answered, after the others
    await bot.posted("待接工单共 1 件")
    assert (await bot.store.get_case(1)).status == "open"
    assert not bot.group_posts("已接手") and not bot.group_posts("只有登记的值班人员")


# -- case numbers no case can have ----------------------------------------------------------------------


async def test_huge_or_unusual_case_numbers_are_answered_not_crashed_on(bot, caplog):
    caplog.set_level(logging.ERROR)
    card = await bot.handoff()
    bot.api.press(OPERATOR, card, "op:take:²")
    bot.api.press(OPERATOR, card, f"op:take:{HUGE}")
    await bot.api.wait_until(lambda: len(bot.api.calls_to("answerCallbackQuery")) == 2, what="both presses answered")
    bot.api.send_text(OPERATOR, f"/take {HUGE}", chat=bot.group)
    await bot.posted(f"没有工单 #{HUGE}")
    bot.api.send_text(OPERATOR, f"/reply {HUGE} 您好", chat=bot.group)
    await bot.api.wait_until(lambda: len(bot.group_posts(f"没有工单 #{HUGE}")) == 2, what="second answer")
    assert handler_errors(caplog) == [] and not bot.group_posts("出错")
    assert (await bot.store.get_case(1)).status == "open"


# -- a card Telegram refuses to edit ----------------------------------------------------------------------


@pytest.mark.parametrize("status,description", [(400, "Bad Request: MESSAGE_ID_INVALID"), (502, "Bad Gateway")])
async def test_a_take_stands_when_its_card_cannot_be_edited_and_the_sweep_edits_it_later(bot, caplog, status,
                                                                                         description):
    caplog.set_level(logging.INFO)
    card = await bot.handoff()
    bot.api.fail_next("editMessageText", status=status, description=description)
    bot.api.press(OPERATOR, card, "op:take:1")
    ack = await bot.api.wait_for("answerCallbackQuery")
    assert "已接手 #1" in ack.params["text"] and not ack.params.get("show_alert")
    await bot.said_to(CITIZEN, "工作人员已接手")
    await bot.api.wait_until(lambda: bot.buttons(card) == ["op:resolve:1"], what="card edited by the sweep")
    assert (await bot.store.get_case(1)).status == "claimed"
    assert not bot.group_posts("工单没有变化") and handler_errors(caplog) == []
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "handlers.telegram_operators" and r.levelno == logging.WARNING]
    assert any("case 1" in w for w in warnings)
    assert not [w for w in warnings if "张三" in w or UNMATCHED in w]  # no personal data in the log


async def test_an_overdue_mark_refused_once_is_shown_at_a_later_sweep(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, claim_limits={"urgent": 0.3, "high": 0.3, "normal": 0.3})
    try:
        bot.api.fail_next("editMessageText", status=502)
        card = await bot.handoff()
        await bot.posted("超时未接：#1")
        await bot.api.wait_until(lambda: "超时" in bot.api.messages[(GROUP, card["message_id"])]["text"],
                                 what="the card marked overdue")
    finally:
        await _stopped(bot)
