"""Operators' commands and buttons in the Telegram group, end to end against the fake Bot API server.

Which case a command acts on when it is sent under a case's card, commands meant for another bot, case numbers
no case can have, and a card Telegram refuses to edit after the action has happened.
"""

from __future__ import annotations

import functools
import logging

import pytest
from telegram_harness import (
    CITIZEN,
    CITIZEN_EN,
    GROUP,
    HUGE,
    OPERATOR,
    OUTSIDER,
    UNMATCHED,
    YELLOW_FAQ,
    bot_fixture,
    handler_errors,
    knowledge_fixture,
    running,
    stopped,
)
from telegram_harness import Bot as HarnessBot


class Bot(HarnessBot):
    """The harness's bot, with the group's and a user's texts at hand and two taken cases on demand."""

    def group_posts(self, contains: str) -> list[str]:
        """Return the texts posted in the operators' group that contain `contains`."""
        return [c.params["text"] for c in self.api.calls_to("sendMessage", GROUP) if contains in c.params["text"]]

    def texts_to(self, user: dict) -> list[str]:
        """Return the texts sent to a user's private chat."""
        return [c.params["text"] for c in self.api.calls_to("sendMessage", user["id"])]

    async def two_cases_second_current(self) -> tuple[dict, dict]:
        """Open #1 (张三) and #2 (Alice), both taken by OPERATOR, #2 last: #2 is the operator's current case."""
        first = await self.handoff()
        second = await self.handoff(CITIZEN_EN, "How much is parking at the town hall?")
        self.api.press(OPERATOR, first, "op:take:1")
        await self.said_to(CITIZEN, "工作人员已接手")
        self.api.press(OPERATOR, second, "op:take:2")
        await self.said_to(CITIZEN_EN, "taken")
        return first, second


knowledge = knowledge_fixture(YELLOW_FAQ)
_running = functools.partial(running, bot_class=Bot, operators="9001,9003")  # operators 9001 and 9003
bot = bot_fixture(Bot, operators="9001,9003")


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
        await stopped(bot)


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
        await stopped(bot)
