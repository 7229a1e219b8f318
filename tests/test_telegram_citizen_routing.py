"""Where a citizen's case is answered, who counts as a citizen, and what a citizen may send, end to end on Telegram.

Each test starts the real Application against the local fake Bot API server (tests/fake_bot_api.py), as
tests/test_telegram_e2e.py does (the harness is tests/telegram_harness.py), and follows one citizen's case through it.
"""

from __future__ import annotations

import asyncio
import logging

from telegram_harness import (
    CITIZEN,
    GROUP,
    HUGE,
    OPERATOR,
    UNMATCHED,
    YELLOW_FAQ,
    bot_fixture,
    eventually,
    handler_errors,
    knowledge_fixture,
)
from telegram_harness import Bot as HarnessBot

from frontdesk.privacy import mask

PUBLIC = -100555  # a residents' group where a citizen asks the bot in public
OTHER_PUBLIC = -100666
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
CHANNEL = {"id": -100777, "type": "channel", "title": "社区通知频道"}


class Bot(HarnessBot):
    """The harness's bot, waiting on any chat by its id, with shortcuts for cards, groups and any content."""

    async def said_to(self, chat_id: int, contains: str, **kw):
        """Wait for a successful sendMessage to a chat containing the text."""
        return await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == chat_id and contains in c.params["text"], **kw)

    async def posted(self, contains: str, **kw):
        """Wait for a successful sendMessage to the operators' group containing the text."""
        return await self.said_to(GROUP, contains, **kw)

    async def card(self, number: int) -> dict:
        """Wait for the card of case `number` and return the posted message."""
        call = await self.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP and
                                       f"op:take:{number}" in str(c.params.get("reply_markup")))
        return call.result

    def card_text(self, card: dict) -> str:
        """Return what a card shows now."""
        return self.api.messages[(GROUP, card["message_id"])]["text"]

    async def take(self, card: dict, number: int = 1) -> None:
        """Have the operator take the case with its card's button."""
        self.api.press(OPERATOR, card, f"op:take:{number}")
        await eventually(lambda: self._claimed(number), what=f"case #{number} taken")

    async def _claimed(self, number: int) -> bool:
        return (await self.store.get_case(number)).status == "claimed"

    def ask_in_group(self, group: dict, text: str, user: dict = CITIZEN) -> dict:
        """Have a user ask the bot in a group by mentioning it."""
        return self.api.send_text(user, f"@{self.api.username} {text}", chat=group)

    def push(self, user: dict, chat: dict | None = None, **content) -> dict:
        """Feed a message of any content from `user` (in their private chat unless `chat` is given)."""
        message = self.api._message(user, chat, **content)
        self.api.push(message=message)
        return message


knowledge = knowledge_fixture(YELLOW_FAQ)
bot = bot_fixture(Bot)


# -- 1. replies go where the citizen last wrote about the case --------------------------------------------


async def test_a_private_follow_up_takes_the_case_out_of_the_public_group(bot):
    public = bot.api.add_group(PUBLIC, "小区业主群")
    bot.ask_in_group(public, UNMATCHED)
    await bot.said_to(PUBLIC, "工单号")
    card = await bot.card(1)
    bot.api.send_text(CITIZEN, "我的身份证号是110101199001011234，电话13800138000")  # in private, personal details
    await bot.said_to(CITIZEN["id"], "已将您的消息补充到工单 #1")
    await bot.take(card)
    await bot.said_to(CITIZEN["id"], "工作人员已接手")  # the case's notices follow the citizen too
    bot.api.send_text(OPERATOR, "张三您好，身份证110101199001011234已核实。", chat=bot.group, reply_to=card)
    await bot.said_to(CITIZEN["id"], "已核实")
    await asyncio.sleep(0.5)
    [only] = bot.api.sent_to(PUBLIC)  # the case number, in answer to the question asked there; nothing since
    assert "工单号" in only["text"]
    case = await bot.store.get_case(1)
    assert case.citizen.chat_id == str(CITIZEN["id"])
    lines = [(m.author, m.text) for m in await bot.store.messages(1)]
    assert lines[:2] == [("citizen", UNMATCHED), ("citizen", "我的身份证号是110101199001011234，电话13800138000")]
    [moved] = [e for e in await bot.store.events(1) if e.kind == "chat_moved"]
    assert (moved.actor, moved.detail) == (f"citizen:{CITIZEN['id']}", f"{PUBLIC} -> {CITIZEN['id']}")


async def test_a_case_follows_the_citizen_back_to_the_group_they_last_wrote_in(bot):
    public = bot.api.add_group(PUBLIC, "小区业主群")
    bot.api.send_text(CITIZEN, UNMATCHED)
    card = await bot.card(1)
    bot.ask_in_group(public, "我在群里补充一下：是地下停车场")
    await bot.said_to(PUBLIC, "已将您的消息补充到工单 #1")
    await bot.take(card)
    await bot.said_to(PUBLIC, "工作人员已接手")
    assert (await bot.store.get_case(1)).citizen.chat_id == str(PUBLIC)


async def test_the_card_of_a_group_case_shows_when_the_bot_is_removed_from_that_group(bot):
    public = bot.api.add_group(PUBLIC, "小区业主群")
    bot.ask_in_group(public, UNMATCHED)
    card = await bot.card(1)
    await bot.take(card)
    await bot.said_to(PUBLIC, "已接手")
    bot.api.block(PUBLIC)  # the bot is removed from that group: every send there gets 403
    bot.api.send_text(OPERATOR, "请问还需要帮助吗？", chat=bot.group, reply_to=card)
    await bot.api.wait_for("editMessageText", lambda c: "屏蔽" in c.params["text"])
    assert (await bot.store.get_case(1)).citizen_blocked
    assert "屏蔽" in bot.card_text(card)


# -- 3. "the citizen blocked the bot" is cleared when they are back -------------------------------------


async def test_a_blocked_citizen_who_writes_again_is_reachable_and_told_of_the_resolution(bot):
    bot.api.send_text(CITIZEN, UNMATCHED)
    card = await bot.card(1)
    await bot.take(card)
    await bot.said_to(CITIZEN["id"], "工作人员已接手")
    bot.api.block(CITIZEN["id"])
    bot.api.send_text(OPERATOR, "请问还需要帮助吗？", chat=bot.group, reply_to=card)
    await bot.api.wait_for("editMessageText", lambda c: "屏蔽" in c.params["text"])
    bot.api.blocked.discard(CITIZEN["id"])  # the citizen unblocks the bot and writes again
    mark = len(bot.api.calls)
    bot.api.send_text(CITIZEN, "刚才误操作屏蔽了，现在恢复了")
    await bot.said_to(CITIZEN["id"], "已将您的消息补充到工单 #1")
    await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == card["message_id"] and
                           "屏蔽" not in c.params["text"], after=mark)
    assert not (await bot.store.get_case(1)).citizen_blocked
    bot.api.send_text(OPERATOR, "/resolve 1 已答复", chat=bot.group)
    await bot.said_to(CITIZEN["id"], "已办理完毕")
    assert "屏蔽" not in bot.card_text(card)


async def test_a_delivery_that_goes_through_again_clears_blocked_on_the_card(bot):
    bot.api.send_text(CITIZEN, UNMATCHED)
    card = await bot.card(1)
    await bot.take(card)
    bot.api.block(CITIZEN["id"])
    bot.api.send_text(OPERATOR, "请问还需要帮助吗？", chat=bot.group, reply_to=card)
    await bot.api.wait_for("editMessageText", lambda c: "屏蔽" in c.params["text"])
    bot.api.blocked.discard(CITIZEN["id"])  # unblocked, without writing
    mark = len(bot.api.calls)
    bot.api.send_text(OPERATOR, "停车场首小时免费。", chat=bot.group, reply_to=card)
    await bot.said_to(CITIZEN["id"], "首小时免费")
    await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == card["message_id"] and
                           "屏蔽" not in c.params["text"], after=mark)
    assert [e.kind for e in await bot.store.events(1)][-2:] == ["citizen_blocked", "citizen_unblocked"]


# -- 2. anonymous admins and channels are not citizens --------------------------------------------------


def _as_chat(bot: Bot, group: dict, sender_chat: dict, text: str, user: dict = ANONYMOUS_ADMIN, **fields) -> dict:
    """Feed a group message sent on behalf of a chat (an anonymous admin: the group itself; or a channel)."""
    text = f"@{bot.api.username} {text}"
    return bot.push(user, group, text=text, sender_chat=sender_chat,
                    entities=[{"type": "mention", "offset": 0, "length": len(bot.api.username) + 1}], **fields)


async def test_anonymous_admins_of_two_groups_are_refused_and_open_no_case(bot):
    first = bot.api.add_group(PUBLIC, "A小区业主群")
    second = bot.api.add_group(OTHER_PUBLIC, "B公司员工群")
    _as_chat(bot, first, first, UNMATCHED)
    await bot.said_to(PUBLIC, "匿名管理员")
    _as_chat(bot, second, second, "I am Wang Wu from company B, phone 13900001111, when does my quarantine end?")
    await bot.said_to(OTHER_PUBLIC, "anonymous admin")  # answered in the language it was written in
    bot.ask_in_group(first, UNMATCHED)  # a person in the same group is still served
    await bot.said_to(PUBLIC, "工单号")
    await bot.card(1)
    assert [item.case.citizen.user_id for item in await bot.store.handover()] == [str(CITIZEN["id"])]
    assert [m.text for m in await bot.store.messages(1)] == [UNMATCHED]


async def test_a_message_on_behalf_of_a_channel_is_refused_and_its_automatic_forward_ignored(bot):
    group = bot.api.add_group(PUBLIC, "讨论群")
    _as_chat(bot, group, CHANNEL, UNMATCHED, user=CITIZEN)
    await bot.said_to(PUBLIC, "匿名管理员")
    seen = len(bot.api.calls)
    telegram = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
    _as_chat(bot, group, CHANNEL, "频道通知", user=telegram, is_automatic_forward=True)
    bot.api.send_text(CITIZEN, "健康码变黄了怎么办")  # a later update, so the forward has been handled
    await bot.said_to(CITIZEN["id"], "三天两检")
    assert not [c for c in bot.api.calls[seen:] if c.params.get("chat_id") == PUBLIC]
    assert await bot.store.handover() == []


# -- 4. forged button data -------------------------------------------------------------------------------


async def test_forged_choice_data_is_answered_as_unknown_without_an_error(bot, caplog):
    caplog.set_level(logging.ERROR)
    bot.api.send_text(CITIZEN, "健康码变黄了怎么办")
    feedback = await bot.said_to(CITIZEN["id"], "有帮助吗")
    forged = ("fb:y:²", f"fb:y:{HUGE}", "fb:n:²", "cat:²", f"cat:{HUGE}", f"human:{HUGE}")
    for n, data in enumerate(forged, 1):
        message = {**feedback.result, "message_id": feedback.result["message_id"] + 100 + n}  # one press each
        bot.api.press(CITIZEN, message, data)
    await bot.api.wait_until(lambda: len(bot.api.calls_to("answerCallbackQuery")) == len(forged), what="answers")
    await bot.api.wait_until(
        lambda: len([c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "请输入您的问题" in c.params["text"]])
        == len(forged) - 1, what="unknown-choice answers")
    await bot.said_to(CITIZEN["id"], "工单号")  # human:<huge> still reaches a person, without the question
    assert handler_errors(caplog) == []
    assert not [c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "出了点问题" in c.params["text"]]


# -- 5. contacts, dice and polls -------------------------------------------------------------------------

CONTACT = {"phone_number": "+8613800138000", "first_name": "张", "last_name": "三", "user_id": CITIZEN["id"]}
POLL = {"id": "p1", "question": "几点开门?", "total_voter_count": 0, "is_closed": False, "is_anonymous": True,
        "type": "regular", "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
        "options": [{"text": "8", "voter_count": 0, "persistent_id": "o1"},
                    {"text": "9", "voter_count": 0, "persistent_id": "o2"}]}


async def test_a_shared_contact_joins_the_open_case_for_the_operators(bot, caplog):
    caplog.set_level(logging.DEBUG)
    bot.api.send_text(CITIZEN, UNMATCHED)
    await bot.card(1)
    bot.push(CITIZEN, contact=CONTACT)
    await bot.said_to(CITIZEN["id"], "联系方式补充到工单 #1")
    line = "市民分享的联系方式：张 三 +8613800138000"
    await bot.posted(line)
    assert [m.text for m in await bot.store.messages(1)] == [UNMATCHED, line]
    assert "138****8000" in mask(line)  # what the masked logs would show of it
    assert not [r for r in caplog.records if r.name.startswith(("frontdesk", "handlers")) and
                "8000" in r.getMessage()]  # and the bot's own logs say nothing of it


async def test_a_contact_without_a_case_is_not_kept(bot):
    bot.push(CITIZEN, contact=CONTACT)
    await bot.said_to(CITIZEN["id"], "没有转给值班人员")
    assert await bot.store.handover() == []


async def test_a_dice_or_a_poll_gets_a_polite_answer_and_stays_out_of_the_case(bot):
    bot.api.send_text(CITIZEN, UNMATCHED)
    await bot.card(1)
    seen = len(bot.api.calls)
    bot.push(CITIZEN, dice={"emoji": "🎲", "value": 3})
    bot.push(CITIZEN, poll=POLL)
    await bot.api.wait_until(
        lambda: len([c for c in bot.api.calls[seen:] if c.method == "sendMessage" and
                     c.params["chat_id"] == CITIZEN["id"] and "无法处理" in c.params["text"]]) == 2, what="2 answers")
    await asyncio.sleep(0.3)
    assert [m.text for m in await bot.store.messages(1)] == [UNMATCHED]
    assert not [c for c in bot.api.calls[seen:] if c.method == "sendMessage" and c.params["chat_id"] == GROUP]
