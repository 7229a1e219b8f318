"""The desk end to end on a real SQLite file: answers, suggestions, handoffs, intents and open cases."""

from __future__ import annotations

import dataclasses

import pytest
from desk_harness import FAQ, open_desk

from frontdesk.model import Attachment, Citizen, IncomingMessage
from frontdesk.settings import MatchingSettings


@pytest.fixture
async def desk(tmp_path):
    async with open_desk(tmp_path) as running:
        yield running


def citizen(user="u1", platform="console"):
    return Citizen(platform, user, user, "Citizen " + user)


_seq = iter(range(1, 10**6))


def text(body, who="u1", **kw):
    return IncomingMessage(citizen(who), text=body, message_id=f"m{next(_seq)}", **kw)


def pick(key, who="u1"):
    return IncomingMessage(citizen(who), choice=key, message_id=f"m{next(_seq)}")


async def test_answers_in_the_askers_language(desk):
    zh = await desk.handle(text("健康码变黄了怎么办"))
    assert zh[0].kind == "answer" and zh[0].entry_id == "health-code-yellow"
    assert zh[0].text == "黄码请按提示完成三天两检。"
    assert [c.key.split(":")[0] for c in zh[1].choices] == ["fb", "fb"]
    en = await desk.handle(text("My health code is yellow, what do I do?", who="u2"))
    assert en[0].entry_id == "health-code-yellow"
    assert en[0].text == "With a yellow code take two tests in three days."
    assert en[1].language == "en" and "helpful" in en[1].text.lower()


async def test_far_question_is_handed_off_with_a_case_row(desk):
    replies = await desk.handle(text("帮我订一张机票"))
    assert len(replies) == 1 and replies[0].kind == "handoff" and not replies[0].choices
    number = replies[0].case_number
    assert f"#{number}" in replies[0].text
    case = await desk.store.get_case(number)
    assert (case.reason, case.priority, case.status, case.language) == ("unmatched", "normal", "open", "zh")
    assert case.question == "帮我订一张机票" and case.citizen.user_id == "u1" and case.citizen.platform == "console"
    assert case.category is None  # no FAQ topic is close enough to label it


async def test_urgent_gives_emergency_numbers_and_an_urgent_case(desk):
    replies = await desk.handle(text("我发烧了，呼吸困难"))
    assert replies[0].kind == "urgent"
    assert all(n in replies[0].text for n in ("120", "110", "119"))
    case = await desk.store.get_case(replies[0].case_number)
    assert (case.reason, case.priority) == ("urgent", "urgent")
    en = await desk.handle(text("I have chest pain and can't breathe", who="u2"))
    assert "120" in en[0].text and en[0].language == "en"


async def test_human_and_complaint_open_cases(desk):
    human = await desk.handle(text("转人工"))
    assert (await desk.store.get_case(human[0].case_number)).reason == "requested"
    complaint = await desk.handle(text("我要投诉检测点插队", who="u2"))
    case = await desk.store.get_case(complaint[0].case_number)
    assert (case.reason, case.priority, case.category) == ("complaint", "high", "投诉举报")


async def test_greeting_thanks_goodbye_open_no_case(desk):
    for body, kind in (("你好", "greeting"), ("谢谢", "thanks"), ("再见", "goodbye")):
        replies = await desk.handle(text(body))
        assert replies[0].case_number is None and replies[0].text == desk.knowledge.current.phrases.say(kind, "zh")
    assert await desk.store.active_case_for("console", "u1") is None


async def test_did_you_mean_then_pick_and_none_of_these(desk):
    wide_band = MatchingSettings(answer=100.1, suggest=1, max_suggestions=3)
    desk.settings = dataclasses.replace(desk.settings, matching=wide_band)
    replies = await desk.handle(text("健康码核酸"))
    assert replies[0].kind == "suggest"
    keys = [c.key for c in replies[0].choices]
    assert 2 <= len(keys) <= 4 and keys[-1].startswith("human:")
    answer = await desk.handle(pick(keys[0]))
    assert answer[0].kind == "answer" and answer[0].entry_id == keys[0].split(":")[1]  # faq:ENTRY:QUESTION
    handoff = await desk.handle(pick(keys[-1]))
    case = await desk.store.get_case(handoff[0].case_number)
    assert case.reason == "requested" and case.question == "健康码核酸"


async def test_not_helpful_offers_a_person(desk):
    answer = await desk.handle(text("核酸检测点在哪里"))
    no = next(c for c in answer[1].choices if c.key.startswith("fb:n:"))
    offer = await desk.handle(pick(no.key))
    to_human = next(c for c in offer[0].choices if c.key.startswith("human:"))
    handoff = await desk.handle(pick(to_human.key))
    case = await desk.store.get_case(handoff[0].case_number)
    assert case.reason == "not_helpful" and case.question == "核酸检测点在哪里"


async def test_open_case_takes_the_citizens_messages(desk):
    first = await desk.handle(text("帮我订一张机票"))
    number = first[0].case_number
    follow = text("明天上午的")
    added = await desk.handle(follow)
    assert added[0].kind == "info" and f"#{number}" in added[0].text
    assert await desk.handle(follow) == []  # redelivered update: nothing added twice
    photo = await desk.handle(IncomingMessage(citizen(), attachment=Attachment("photo", "file-1"), message_id="p1"))
    assert f"#{number}" in photo[0].text
    log = [(m.author, m.text) for m in await desk.store.messages(number)]
    assert log.count(("citizen", "明天上午的")) == 1
    assert any(m.attachment and m.attachment.ref == "file-1" for m in await desk.store.messages(number))
    status = await desk.handle(text("/status"))
    assert f"#{number}" in status[0].text
    cancel = await desk.handle(text("/cancel"))
    assert f"#{number}" in cancel[0].text
    assert (await desk.store.get_case(number)).status == "cancelled"
    assert (await desk.handle(text("健康码变黄了怎么办")))[0].kind == "answer"


async def test_lang_choice_sticks(desk):
    await desk.handle(pick("lang:en"))
    replies = await desk.handle(text("健康码变黄了怎么办"))
    assert replies[0].text == "With a yellow code take two tests in three days."


async def test_sticker_photo_without_case_and_empty_text(desk):
    sticker = await desk.handle(IncomingMessage(citizen(), attachment=Attachment("sticker", "s1"), message_id="s1"))
    assert sticker[0].text == desk.knowledge.current.phrases.say("unsupported", "zh")
    photo = await desk.handle(IncomingMessage(citizen(), attachment=Attachment("photo", "f1"), message_id="f1"))
    assert photo[0].text == desk.knowledge.current.phrases.say("attachment_no_case", "zh")
    assert await desk.store.active_case_for("console", "u1") is None


async def test_huge_message_is_kept_whole(desk):
    body = "帮我查一下" + "很长的描述" * 20000
    replies = await desk.handle(text(body))
    case = await desk.store.get_case(replies[0].case_number)
    assert case.question == body


async def test_start_menu_lists_categories(desk):
    replies = await desk.handle(text("/start"))
    assert "12345" in replies[0].text
    labels = [c.label for c in replies[1].choices]
    assert labels == ["健康码", "核酸检测", "就医"]
    entries = await desk.handle(pick(replies[1].choices[1].key))
    assert [c.key for c in entries[0].choices] == ["faq:testing-sites"]


async def test_urgent_words_in_an_open_case_make_it_urgent(desk):
    first = await desk.handle(text("帮我订一张机票"))
    number = first[0].case_number
    replies = await desk.handle(text("我现在胸痛，喘不上气"))
    assert replies[0].kind == "urgent" and "120" in replies[0].text and f"#{number}" in replies[0].text
    case = await desk.store.get_case(number)
    assert case.priority == "urgent" and case.status == "open"
    assert ("citizen", "我现在胸痛，喘不上气") in [(m.author, m.text) for m in await desk.store.messages(number)]
    assert "priority_raised" in [e.kind for e in await desk.store.events(number)]


async def test_choice_for_an_entry_asked_only_in_chinese_is_labelled_in_english(desk, tmp_path):
    """An English speaker offered an entry whose questions are all Chinese sees its English answer's start."""
    faq = FAQ.replace('"Where is the fever clinic?"', "发烧去哪看病")
    (tmp_path / "faq.yaml").write_text(faq, encoding="utf-8")
    desk.knowledge.reload()
    wide_band = MatchingSettings(answer=100.1, suggest=1, max_suggestions=3)
    desk.settings = dataclasses.replace(desk.settings, matching=wide_band)
    replies = await desk.handle(text("is the fever clinic at the hospital open 24/7"))
    assert replies[0].kind == "suggest"
    labels = {c.key.split(":")[1]: c.label for c in replies[0].choices}  # faq:ENTRY:QUESTION, human:QUESTION
    assert labels["fever-clinic"].startswith("The fever clinic at the District")
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in labels.values())
