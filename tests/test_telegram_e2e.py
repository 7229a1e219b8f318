"""End to end through the real python-telegram-bot stack against the local fake Bot API server.

Each test starts the real Application (polling getUpdates, the rate limiter, the outbox and escalation loops,
a real SQLite file), feeds updates as Telegram would, and waits for the Bot API calls it expects.
"""

from __future__ import annotations

import asyncio
import functools
import logging

from telegram_harness import (
    CITIZEN,
    CITIZEN_EN,
    GROUP,
    OPERATOR,
    OUTSIDER,
    ROOT,
    TOKEN,
    UNMATCHED,
    bot_fixture,
    eventually,
    knowledge_fixture,
    running,
)
from telegram_harness import Bot as HarnessBot

from frontdesk.desk import category_key
from frontdesk.knowledge import KnowledgeBase
from frontdesk.model import Citizen
from frontdesk.settings import load_settings
from handlers.telegram_app import OPERATOR_COMMANDS, load_telegram_phrases, services_of, stop

LONG_PARAGRAPH = "隔离期间请每日测量体温并如实上报，如有发热、咳嗽等症状请及时联系社区工作人员。" * 12
FAQ = f"""\
version: 1
synonyms:
  核酸检测: [核酸, 做核酸, PCR, nucleic acid test]
entries:
  - id: health-code-yellow
    category: 健康码
    questions:
      - 健康码变黄了怎么办
      - 为什么我的健康码是黄码
      - My health code turned yellow, what should I do?
    answer: {{zh: "黄码请按提示完成三天两检。", en: "With a yellow code take two tests in three days."}}
  - id: health-code-red
    category: 健康码
    questions:
      - 健康码变红了怎么办
      - My health code turned red
    answer: {{zh: "红码请居家并联系社区。", en: "With a red code stay home and call your community office."}}
  - id: testing-sites
    category: 核酸检测
    questions:
      - 核酸检测点在哪里
      - Where can I get a PCR test?
    answer: {{zh: "全区共有42个常态化核酸检测点。", en: "There are 42 permanent testing sites in the district."}}
  - id: quarantine-rules
    category: 隔离
    questions:
      - 居家隔离规定全文
      - Full home quarantine rules
    answer:
      zh: |-
{chr(10).join("        " + LONG_PARAGRAPH for _ in range(12))}
      en: Please read the Chinese text.
"""


class Bot(HarnessBot):
    """The harness's bot, whose handoff also waits for the citizen's case number, and which finds a case's card."""

    async def card(self, number: int):
        """Wait for the card of case `number` and return the posted message."""
        call = await self.posted(f"#{number}", after=0)
        assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"op:take:{number}"
        return call.result

    async def handoff(self, user: dict = CITIZEN, text: str = UNMATCHED) -> dict:
        """Have the citizen write something the FAQ cannot answer; return the case card message."""
        self.api.send_text(user, text)
        await self.said_to(user, "工单号" if user.get("language_code", "").startswith("zh") else "case")
        cases = await self.store.handover()
        number = max(item.case.number for item in cases)
        call = await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == GROUP and "op:take:" in str(c.params.get("reply_markup")))
        assert f"#{number}" in call.params["text"]
        return call.result


knowledge = knowledge_fixture(FAQ)
_running = functools.partial(running, bot_class=Bot)
bot = bot_fixture(Bot)


# -- citizens ------------------------------------------------------------------------------------------


async def test_a_citizen_question_is_answered_with_feedback_buttons(bot):
    bot.api.send_text(CITIZEN, "健康码变黄了怎么办")
    await bot.said_to(CITIZEN, "三天两检")
    feedback = await bot.said_to(CITIZEN, "有帮助吗")
    data = bot.buttons(feedback.result)
    assert [d.split(":")[:2] for d in data] == [["fb", "y"], ["fb", "n"]]
    bot.api.press(CITIZEN, feedback.result, data[0])
    await bot.said_to(CITIZEN, "感谢您的反馈")
    await bot.api.wait_for("answerCallbackQuery")
    assert bot.buttons(feedback.result) == []


async def test_english_citizen_gets_english(bot):
    bot.api.send_text(CITIZEN_EN, "Where can I get a PCR test?")
    await bot.said_to(CITIZEN_EN, "42 permanent testing sites")


async def test_start_shows_welcome_and_category_menu(bot):
    bot.api.send_text(CITIZEN, "/start")
    welcome = await bot.said_to(CITIZEN, "欢迎使用")
    assert "12345" in welcome.params["text"] and "08:00-22:00" in welcome.params["text"]  # from settings
    menu = await bot.api.wait_for("sendMessage", lambda c: "cat:" in str(c.params.get("reply_markup")))
    first = bot.buttons(menu.result)[0]  # keyed by the category's name, not its place in the menu
    assert first == f"cat:{category_key('健康码')}"
    bot.api.press(CITIZEN, menu.result, first)
    topics = await bot.api.wait_for("sendMessage", lambda c: "faq:" in str(c.params.get("reply_markup")))
    assert "faq:health-code-yellow" in bot.buttons(topics.result)


async def test_did_you_mean_buttons_are_pressed_once(bot):
    bot.api.send_text(CITIZEN, "健康码")
    suggest = await bot.said_to(CITIZEN, "您是想问以下哪个问题")
    data = bot.buttons(suggest.result)
    yellow = next(d for d in data if d.startswith("faq:health-code-yellow:"))  # faq:ENTRY:QUESTION
    assert data[-1].startswith("human:")
    bot.api.press(CITIZEN, suggest.result, yellow)
    await bot.api.wait_for("answerCallbackQuery")
    edit = await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == suggest.result["message_id"])
    assert "已选择" in edit.params["text"] and not edit.params.get("reply_markup")
    await bot.said_to(CITIZEN, "三天两检")
    # a second tap on the same (stale) keyboard is acknowledged but answered only once
    bot.api.press(CITIZEN, suggest.result, yellow)
    await bot.api.wait_until(lambda: len(bot.api.calls_to("answerCallbackQuery")) == 2, what="second ack")
    bot.api.send_text(CITIZEN, "/status")  # handled after the second press: the chat's updates run in order
    await bot.said_to(CITIZEN, "没有正在处理的工单")
    answers = [c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "三天两检" in c.params["text"]]
    assert len(answers) == 1


async def test_long_answers_are_split_under_the_limit(bot):
    bot.api.send_text(CITIZEN, "居家隔离规定全文")
    await bot.said_to(CITIZEN, "有帮助吗")
    parts = [c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if LONG_PARAGRAPH[:20] in c.params["text"]]
    assert len(parts) >= 2
    assert all(len(c.params["text"]) <= 4096 and c.ok for c in parts)
    assert all(c.params["text"].startswith("隔离期间") for c in parts)  # broken at paragraph boundaries


async def test_messages_in_other_groups_are_ignored_unless_the_bot_is_addressed(bot):
    other = bot.api.add_group(-100777, "Neighbours")
    bot.api.send_text(CITIZEN, "健康码变黄了怎么办", chat=other)
    bot.api.send_text(CITIZEN, f"@{bot.api.username} 核酸检测点在哪里", chat=other)
    call = await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == other["id"])
    assert "42" in call.params["text"]
    assert call.params["reply_parameters"]["message_id"] == 2  # answers the message that addressed the bot
    assert not [c for c in bot.api.calls_to("sendMessage", other["id"]) if "三天两检" in c.params["text"]]


async def test_command_menus_are_registered_in_both_languages_and_for_operators(bot):
    default = bot.api.commands[('{"type": "default"}', "")]
    english = bot.api.commands[('{"type": "default"}', "en")]
    assert [c["command"] for c in default] == ["start", "help", "human", "status", "cancel", "lang"]
    assert default[2]["description"] == "转人工服务" and english[2]["description"] == "Talk to a person"
    group_scope = f'{{"chat_id": {GROUP}, "type": "chat"}}'
    operators = {c["command"]: c["description"] for c in bot.api.commands[(group_scope, "")]}
    assert list(operators) == list(OPERATOR_COMMANDS)
    phrases = load_telegram_phrases()
    assert operators["reload"] == phrases.say("cmd_reload", "zh") == "立即重新加载常见问题等文件"
    assert operators["addfaq"] == phrases.say("cmd_addfaq", "zh")
    assert phrases.say("cmd_reload", "en") and phrases.say("cmd_addfaq", "en").startswith("Suggest for the FAQ")


# -- handoff, the case card and the thread ----------------------------------------------------------------


async def test_handoff_posts_a_case_card(bot):
    card = await bot.handoff()
    text = card["text"]
    assert "工单 #1" in text and "张三" in text and "中文" in text and UNMATCHED in text
    assert "机器人答不了" in text and "一般" in text and "待接单" in text
    assert bot.buttons(card) == ["op:take:1", "op:resolve:1"]
    assert await eventually(lambda: bot.store.case_for_post("telegram", str(GROUP), str(card["message_id"]))) == 1


async def test_operator_takes_with_the_button_replies_and_the_case_reads_as_a_thread(bot):
    card = await bot.handoff()
    bot.api.press(OPERATOR, card, "op:take:1")
    ack = await bot.api.wait_for("answerCallbackQuery")
    assert "已接手 #1" in ack.params["text"]
    edit = await bot.api.wait_for("editMessageText", lambda c: c.params["message_id"] == card["message_id"])
    assert "处理中 · Wang" in edit.params["text"]  # OPERATOR_IDS has no names: the card uses the Telegram one
    assert bot.buttons(card) == ["op:resolve:1"]
    await bot.said_to(CITIZEN, "工作人员已接手")  # the store's notice, delivered by the outbox

    bot.api.send_text(OPERATOR, "您好，停车场按小时收费，首小时免费。", chat=bot.group, reply_to=card)
    await bot.said_to(CITIZEN, "首小时免费")
    await bot.api.wait_for("setMessageReaction")

    bot.api.send_text(CITIZEN, "/status")  # answered by the desk, not added to the case
    await bot.said_to(CITIZEN, "值班人员正在处理中")
    bot.api.send_text(CITIZEN, "那夜间怎么收费？")
    await bot.said_to(CITIZEN, "已将您的消息补充到工单 #1")
    line = await bot.posted("那夜间怎么收费")
    assert not [c for c in bot.api.calls_to("sendMessage", GROUP) if "/status" in c.params["text"]]
    assert line.params["reply_parameters"]["message_id"] == card["message_id"]
    assert "张三" in line.params["text"]

    bot.api.send_text(OPERATOR, "夜间每小时2元。", chat=bot.group, reply_to=line.result)  # reply to a later message
    await bot.said_to(CITIZEN, "夜间每小时2元")

    bot.api.send_text(OPERATOR, "/resolve 已答复收费标准", chat=bot.group, reply_to=card)  # number from the reply
    await bot.posted("已办结 #1")
    await bot.said_to(CITIZEN, "已办理完毕")
    await bot.api.wait_until(lambda: bot.buttons(card) == [], what="card without buttons")
    assert "已办结" in bot.api.messages[(GROUP, card["message_id"])]["text"]
    case = await bot.store.get_case(1)
    assert case.status == "resolved" and case.operator_id == "9001"
    authors = [m.author for m in await bot.store.messages(1)]
    assert authors.count("operator") == 2 and authors.count("citizen") == 2
    room = services_of(bot.app).room
    assert 1 not in room.cards and 1 not in room._locks  # a finished case leaves nothing in memory


async def test_a_non_operator_is_refused_and_nothing_changes(bot):
    card = await bot.handoff()
    bot.api.press(OUTSIDER, card, "op:take:1")
    ack = await bot.api.wait_for("answerCallbackQuery")
    assert ack.params["show_alert"] is True and "9002" in ack.params["text"]
    bot.api.send_text(OUTSIDER, "I can help you", chat=bot.group, reply_to=card)
    await bot.posted("只有登记的值班人员")
    bot.api.send_text(OUTSIDER, "/take 1", chat=bot.group)

    def refusals():
        return [c for c in bot.api.calls_to("sendMessage", GROUP) if "只有登记的值班人员" in c.params["text"]]

    await bot.api.wait_until(lambda: len(refusals()) == 2, what="second refusal")
    case = await bot.store.get_case(1)
    assert case.status == "open" and case.operator_id is None
    assert bot.api.calls_to("editMessageText") == []
    assert bot.buttons(card) == ["op:take:1", "op:resolve:1"]
    assert await bot.store.outbox_items(1) == []


async def test_operator_commands_work_in_the_group(bot):
    await bot.handoff()
    bot.api.send_text(OPERATOR, "/queue", chat=bot.group)
    await bot.posted("待接工单共 1 件")
    bot.api.send_text(OPERATOR, "/take", chat=bot.group)
    await bot.posted("已接手 #1")
    await bot.api.wait_for("editMessageText", lambda c: "处理中" in c.params["text"])  # the card follows commands
    bot.api.send_text(OPERATOR, "/reply 1 请提供车牌号。", chat=bot.group)
    await bot.said_to(CITIZEN, "请提供车牌号")


async def test_a_photo_is_attached_to_the_open_case_and_shown_to_operators(bot):
    bot.api.send_photo(CITIZEN, "PHOTO1")  # no words and no case yet: a polite explanation
    await bot.said_to(CITIZEN, "只能读懂文字")
    assert bot.api.calls_to("copyMessage") == []
    card = await bot.handoff()
    photo = bot.api.send_photo(CITIZEN, "PHOTO2", caption="缴费凭证")
    await bot.said_to(CITIZEN, "已将您发送的图片附到工单 #1")
    copy = await bot.api.wait_for("copyMessage")
    assert copy.params["from_chat_id"] == CITIZEN["id"] and copy.params["message_id"] == photo["message_id"]
    assert copy.params["reply_parameters"]["message_id"] == card["message_id"] and "缴费凭证" in copy.params["caption"]
    last = (await bot.store.messages(1))[-1]
    assert last.attachment.kind == "photo" and last.attachment.ref == "PHOTO2-1280"
    location = bot.api.send_location(CITIZEN, 22.54, 114.06)
    copy = await bot.api.wait_for("copyMessage", lambda c: c.params["message_id"] == location["message_id"])
    assert "caption" not in copy.params
    assert (await bot.store.messages(1))[-1].attachment.ref == "22.54,114.06"


async def test_urgent_cases_are_marked_and_pinned_until_resolved(bot):
    bot.api.send_text(CITIZEN, "我发烧了，呼吸困难")
    await bot.said_to(CITIZEN, "120")
    card = await bot.posted("紧急工单 #1")
    pin = await bot.api.wait_for("pinChatMessage")
    assert pin.params["message_id"] == card.result["message_id"]
    bot.api.press(OPERATOR, card.result, "op:take:1")
    await bot.api.wait_for("editMessageText")
    bot.api.press(OPERATOR, card.result, "op:resolve:1")
    await bot.api.wait_for("unpinChatMessage")
    assert bot.api.pinned[GROUP] == []


async def test_citizen_text_with_markup_arrives_escaped(bot):
    text = "<b>停车场</b> 收费 & 标准 <script>"
    card = await bot.handoff(text=text)
    call = await bot.posted("停车场")
    assert "&lt;b&gt;停车场&lt;/b&gt; 收费 &amp; 标准 &lt;script&gt;" in call.params["text"]
    assert text in card["text"]  # the server parsed it back to exactly what the citizen wrote
    bot.api.send_text(CITIZEN, "a<b & c>")
    line = await bot.posted("a&lt;b &amp; c&gt;")
    assert line.ok
    bot.api.press(OPERATOR, card, "op:take:1")
    await bot.api.wait_for("editMessageText")
    bot.api.send_text(OPERATOR, "Use <i>this</i> & that", chat=bot.group, reply_to=card)
    delivered = await bot.said_to(CITIZEN, "Use &lt;i&gt;this&lt;/i&gt; &amp; that")
    assert delivered.result["text"] == "Use <i>this</i> & that"


# -- delivery failures ------------------------------------------------------------------------------------


async def _taken_case(bot) -> dict:
    card = await bot.handoff()
    bot.api.press(OPERATOR, card, "op:take:1")
    await bot.said_to(CITIZEN, "工作人员已接手")
    return card


async def test_a_429_from_the_server_is_retried_and_delivered(bot):
    card = await _taken_case(bot)
    bot.api.fail_next("sendMessage", status=429, retry_after=1, chat_id=CITIZEN["id"])
    bot.api.send_text(OPERATOR, "请稍候，正在核实。", chat=bot.group, reply_to=card)
    refused = await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == CITIZEN["id"], ok=False)
    assert refused.error.status == 429
    delivered = await bot.said_to(CITIZEN, "正在核实", timeout=8)
    assert delivered.at - refused.at >= 1.0  # waited as told

    async def all_delivered():
        return [i.status for i in await bot.store.outbox_items(1)] == ["delivered", "delivered"]

    await eventually(all_delivered, what="both outbox items delivered")


async def test_a_long_reply_failing_halfway_resumes_without_repeating_a_part(bot):
    card = await _taken_case(bot)
    reply = "\n".join(f"第{i}条：请按社区通知准备材料并在规定时间前往指定地点办理。" for i in range(150))
    bot.api.fail_next("sendMessage", status=502, chat_id=CITIZEN["id"], after=1)  # part 1 goes, part 2 fails once
    bot.api.send_text(OPERATOR, reply, chat=bot.group, reply_to=card)
    await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == CITIZEN["id"], ok=False)

    async def delivered():
        return (await bot.store.outbox_items(1))[-1].status == "delivered"

    await eventually(delivered, what="the long reply delivered", timeout=15)
    parts = [c.params["text"] for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if c.ok and "条：" in
             c.params["text"]]
    assert len(parts) >= 2  # it was long enough to be split
    assert all("".join(parts).count(f"第{i}条：") == 1 for i in range(150))  # every line arrived exactly once


async def test_a_blocked_citizen_is_recorded_on_the_case_and_not_retried(bot):
    card = await _taken_case(bot)
    bot.api.block(CITIZEN["id"])
    bot.api.send_text(OPERATOR, "请问还需要帮助吗？", chat=bot.group, reply_to=card)
    refused = await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == CITIZEN["id"], ok=False)
    assert refused.error.status == 403
    await bot.api.wait_for("editMessageText", lambda c: "屏蔽" in c.params["text"])  # the card says so
    await bot.posted("无法送达")  # and the operator who wrote is told in the group
    case = await bot.store.get_case(1)
    assert case.citizen_blocked
    failed = (await bot.store.outbox_items(1))[-1]
    assert failed.status == "failed" and failed.attempts == 1
    tries = len([c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if not c.ok])
    bot.api.send_text(OPERATOR, "/queue", chat=bot.group)
    await bot.posted("队列中没有待接工单")
    assert len([c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if not c.ok]) == tries


async def test_a_failing_handler_apologises_and_logs_no_content_or_token(bot, caplog):
    await services_of(bot.app).store.close()  # the store goes away under the running bot
    secret = "我的身份证号是 110101199001011234"
    with caplog.at_level(logging.INFO):
        bot.api.send_text(CITIZEN, secret)
        await bot.said_to(CITIZEN, "抱歉，系统刚才出了点问题")
    errors = [r for r in caplog.records if r.name == "handlers.telegram_app" and r.levelno >= logging.ERROR]
    assert errors and "RuntimeError" in errors[0].getMessage()
    logged = "\n".join(r.getMessage() + str(r.exc_text or "") for r in caplog.records)
    assert secret not in logged and TOKEN not in logged
    bot.api.send_text(CITIZEN, "还在吗")  # the bot is still polling and answering
    await bot.api.wait_until(
        lambda: len([c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "抱歉" in c.params["text"]]) == 2,
        what="second apology")


async def test_addfaq_as_a_reply_marks_that_case_not_the_current_one(bot):
    first = await bot.handoff()
    bot.api.send_text(CITIZEN_EN, "How much is parking at the town hall?")
    second = (await bot.api.wait_for("sendMessage", lambda c: "op:take:2" in str(c.params.get("reply_markup")))).result
    bot.api.press(OPERATOR, first, "op:take:1")
    await bot.said_to(CITIZEN, "工作人员已接手")
    bot.api.send_text(OPERATOR, "停车场首小时免费。", chat=bot.group, reply_to=first)
    await bot.said_to(CITIZEN, "首小时免费")
    bot.api.press(OPERATOR, second, "op:take:2")  # case 2 is now the operator's current case
    await bot.said_to(CITIZEN_EN, "taken")
    bot.api.send_text(OPERATOR, "/addfaq 市政停车场首小时免费，之后每小时5元。", chat=bot.group, reply_to=first)
    await bot.posted("已把 #1 标记为“加入常见问题”")
    first_case, second_case = await bot.store.get_case(1), await bot.store.get_case(2)
    assert (first_case.add_to_faq, first_case.faq_draft) == (True, "市政停车场首小时免费，之后每小时5元。")
    assert second_case.add_to_faq is False


# -- /reload in the group -----------------------------------------------------------------------------------


async def test_reload_in_the_group_applies_a_good_edit_and_refuses_a_broken_one(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    settings = load_settings(ROOT / "settings.yaml", environ={})
    knowledge = KnowledgeBase(faq, settings.intents_path, settings.messages_paths)
    bot = await _running(tmp_path, knowledge)  # no file watcher: only /reload picks the edits up
    try:
        faq.write_text(FAQ.replace("三天两检", "三天三检"), encoding="utf-8")
        bot.api.send_text(OPERATOR, "/reload", chat=bot.group)
        await bot.posted("已重新加载：当前使用 4 条常见问题")
        bot.api.send_text(CITIZEN, "健康码变黄了怎么办")
        await bot.said_to(CITIZEN, "三天三检")

        broken = FAQ.replace("三天两检", "三天四检").replace("  - id: health-code-red", "  - id: Health Code Red")
        faq.write_text(broken, encoding="utf-8")
        line = broken.splitlines().index("  - id: Health Code Red") + 1
        bot.api.send_text(OPERATOR, "/reload", chat=bot.group)
        refused = await bot.posted("修改未生效")
        assert f"faq.yaml:{line}" in refused.params["text"]
        bot.api.send_text(CITIZEN, "健康码变黄了怎么办")
        await bot.api.wait_until(lambda: len([c for c in bot.api.calls_to("sendMessage", CITIZEN["id"])
                                              if "三天三检" in c.params["text"]]) == 2, what="the old answer again")
        assert not [c for c in bot.api.calls_to("sendMessage", CITIZEN["id"]) if "三天四检" in c.params["text"]]
    finally:
        await stop(bot.app)
        await bot.api.stop()


# -- case cards across a restart ------------------------------------------------------------------------------


def _cards(bot) -> list:
    """Return the case cards the bot posted in the group (the messages with a case's buttons)."""
    return [c for c in bot.api.calls_to("sendMessage", GROUP) if "op:" in str(c.params.get("reply_markup"))]


async def _restarted(bot, tmp_path, knowledge, **kw) -> Bot:
    """Stop the bot and start a new one on the same SQLite file and the same Bot API server."""
    await asyncio.wait_for(stop(bot.app), 15)
    return await _running(tmp_path, knowledge, api=bot.api, **kw)


async def test_a_case_opened_on_another_platform_gets_its_card_from_the_sweep(bot):
    """A case the console (or a crash before its card was posted) left without a card is shown within a sweep."""
    console = Citizen("console", "local", "local", "控制台")
    case = await bot.store.open_case(console, reason="unmatched", priority="normal", question="控制台来的问题",
                                     language="zh")
    card = await bot.card(case.number)
    assert "控制台来的问题" in card["text"]
    await asyncio.sleep(1.0)  # five more sweeps
    assert len(_cards(bot)) == 1


async def test_a_case_card_survives_a_restart_and_is_edited_not_posted_again(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge)
    try:
        card = await bot.handoff()
        bot = await _restarted(bot, tmp_path, knowledge)
        seen = len(bot.api.calls)
        bot.api.press(OPERATOR, card, "op:take:1")
        edit = await bot.api.wait_for("editMessageText", after=seen)
        assert edit.params["message_id"] == card["message_id"] and "处理中 · Wang" in edit.params["text"]
        assert bot.buttons(card) == ["op:resolve:1"]
        await bot.said_to(CITIZEN, "工作人员已接手")
        bot.api.send_text(CITIZEN, "那夜间怎么收费？")
        line = await bot.posted("那夜间怎么收费")
        assert line.params["reply_parameters"]["message_id"] == card["message_id"]  # threaded under the old card
        bot.api.send_text(OPERATOR, "/resolve 1 已答复", chat=bot.group)
        await bot.posted("已办结 #1")
        await bot.api.wait_until(lambda: bot.buttons(card) == [], what="the old card without buttons")
        assert "已办结" in bot.api.messages[(GROUP, card["message_id"])]["text"]
        assert len(_cards(bot)) == 1
    finally:
        await stop(bot.app)
        await bot.api.stop()


async def test_an_urgent_card_pinned_before_a_restart_is_unpinned_after_it(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge)
    try:
        bot.api.send_text(CITIZEN, "我发烧了，呼吸困难")
        card = (await bot.posted("紧急工单 #1")).result
        await bot.api.wait_for("pinChatMessage")
        bot = await _restarted(bot, tmp_path, knowledge)
        bot.api.send_text(OPERATOR, "/take 1", chat=bot.group)
        await bot.api.wait_for("editMessageText", lambda c: "处理中" in c.params["text"])
        bot.api.send_text(OPERATOR, "/resolve 1", chat=bot.group)
        unpin = await bot.api.wait_for("unpinChatMessage")
        assert unpin.params["message_id"] == card["message_id"] and bot.api.pinned[GROUP] == []
        assert len(bot.api.calls_to("pinChatMessage")) == 1  # the restarted bot knew it was pinned already
        assert len(_cards(bot)) == 1
    finally:
        await stop(bot.app)
        await bot.api.stop()


async def test_a_deleted_card_is_posted_again_when_its_case_changes(bot):
    card = await bot.handoff()
    del bot.api.messages[(GROUP, card["message_id"])]  # an operator deleted it in the group
    bot.api.send_text(OPERATOR, "/take 1", chat=bot.group)
    await bot.posted("已接手 #1")
    new = await bot.api.wait_for("sendMessage", lambda c: c.params["chat_id"] == GROUP and "处理中" in c.params["text"])
    assert bot.buttons(new.result) == ["op:resolve:1"]
    bot.api.send_text(CITIZEN, "还在吗")
    line = await bot.posted("还在吗")
    assert line.params["reply_parameters"]["message_id"] == new.result["message_id"]


# -- a forum group: one topic per case -------------------------------------------------------------------


async def test_in_a_forum_group_each_case_gets_its_own_topic(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, forum=True)
    try:
        await bot.handoff()
        topic = await bot.api.wait_for("createForumTopic")
        thread = topic.result["message_thread_id"]
        card = await bot.api.wait_for("sendMessage", lambda c: c.params.get("message_thread_id") == thread)
        bot.api.press(OPERATOR, card.result, "op:take:1")
        await bot.said_to(CITIZEN, "工作人员已接手")
        bot.api.send_text(OPERATOR, "话题里直接写即可。", chat=bot.group, thread_id=thread)
        await bot.said_to(CITIZEN, "话题里直接写即可")
        bot.api.send_text(CITIZEN, "收到")
        line = await bot.posted("收到")
        assert line.params["message_thread_id"] == thread
    finally:
        await stop(bot.app)
        await bot.api.stop()


async def test_in_a_forum_group_a_case_keeps_its_topic_across_a_restart(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, forum=True)
    try:
        await bot.handoff()
        thread = (await bot.api.wait_for("createForumTopic")).result["message_thread_id"]
        card = await bot.api.wait_for("sendMessage", lambda c: c.params.get("message_thread_id") == thread)
        bot = await _restarted(bot, tmp_path, knowledge, forum=True)
        bot.api.send_text(CITIZEN, "补充一下：是市政停车场")
        line = await bot.posted("补充一下")
        assert line.params["message_thread_id"] == thread
        assert line.params["reply_parameters"]["message_id"] == card.result["message_id"]
        bot.api.send_text(OPERATOR, "/take", chat=bot.group, thread_id=thread)
        edit = await bot.api.wait_for("editMessageText", lambda c: "处理中" in c.params["text"])
        assert edit.params["message_id"] == card.result["message_id"]
        assert len(bot.api.calls_to("createForumTopic")) == 1 and len(_cards(bot)) == 1
        posts = await bot.store.case_posts(1, "telegram")
        assert {p.kind: p.thread_id for p in posts} == {"topic": str(thread), "card": str(thread),
                                                        "citizen": str(thread)}
    finally:
        await stop(bot.app)
        await bot.api.stop()



async def test_overdue_cases_are_escalated_in_the_group(tmp_path, knowledge):
    bot = await _running(tmp_path, knowledge, claim_limits={"urgent": 0.3, "high": 0.3, "normal": 0.3})
    try:
        card = await bot.handoff()
        alert = await bot.posted("超时未接：#1")  # one alert for the team, however many operators it went to
        assert UNMATCHED in alert.params["text"]
        await bot.api.wait_for("editMessageText", lambda c: "超时未接，请尽快接手" in c.params["text"])
        assert bot.buttons(card) == ["op:take:1", "op:resolve:1"]
        bot.api.press(OPERATOR, card, "op:take:1")
        edit = await bot.api.wait_for("editMessageText", lambda c: "处理中" in c.params["text"])
        assert "超时" not in edit.params["text"]
        alerts = [c for c in bot.api.calls_to("sendMessage", GROUP) if "超时未接：" in c.params["text"]]
        assert len(alerts) == 1
    finally:
        await stop(bot.app)
        await bot.api.stop()


async def test_faq_edits_are_reported_in_the_group(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    settings = load_settings(ROOT / "settings.yaml", environ={})
    knowledge = KnowledgeBase(faq, settings.intents_path, settings.messages_paths)
    bot = await _running(tmp_path, knowledge, reload=0.05)
    try:
        faq.write_text(FAQ.replace("  - id: health-code-red", "  - id: Health Code Red"), encoding="utf-8")
        refused = await bot.posted("修改未生效")
        assert "faq.yaml:" in refused.params["text"]
        faq.write_text(FAQ.replace("三天两检", "三天三检"), encoding="utf-8")
        await bot.posted("已重新加载：当前使用 4 条常见问题")
        bot.api.send_text(CITIZEN, "健康码变黄了怎么办")
        await bot.said_to(CITIZEN, "三天三检")
    finally:
        await stop(bot.app)
        await bot.api.stop()
