"""The desk after the first answer: presses in the conversation's language, /lang during a case, the reopen window,
messages with nothing to answer, captions, stale choices, and the case a "not helpful" press opens.

Fixtures from tests/desk_harness.py, as in tests/test_desk.py: a small FAQ and a real SQLite file, with a clock the
tests can move.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from desk_harness import FAQ, open_desk

from frontdesk.clock import DAY, ManualClock
from frontdesk.model import Attachment, Citizen, IncomingMessage
from frontdesk.operators import OperatorDesk
from frontdesk.settings import MatchingSettings

WIDE_BAND = MatchingSettings(answer=100.1, suggest=1, max_suggestions=3)  # every plausible match is a choice
UNMATCHED = "帮我订一张机票"


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
async def desk(tmp_path, clock):
    async with open_desk(tmp_path, clock=clock) as running:
        yield running


def citizen(user="u1", language=None):
    return Citizen("telegram", user, user, "Citizen " + user, language)


_seq = iter(range(1, 10**6))


def text(body, who="u1", language=None, **kw):
    """A typed message; `language` is what the platform reports (Telegram's language_code, mapped)."""
    return IncomingMessage(citizen(who, language), text=body, message_id=f"m{next(_seq)}", language_hint=language,
                           **kw)


def pick(key, who="u1", language=None):
    """A pressed choice: no words, only the platform's language (as telegram_citizens.to_incoming builds it)."""
    return IncomingMessage(citizen(who, language), choice=key, message_id=f"cb:{next(_seq)}", language_hint=language)


def photo(caption, who="u1", ref="FILE-1"):
    return IncomingMessage(citizen(who), attachment=Attachment("photo", ref, caption), message_id=f"p{next(_seq)}")


def say(desk, key, lang="zh", **fields):
    return desk.knowledge.current.phrases.say(key, lang, **fields)


def wide(desk):
    desk.settings = dataclasses.replace(desk.settings, matching=WIDE_BAND)


async def resolved_case(desk, who="u1") -> int:
    """Open a case for the citizen and have an operator resolve it; return its number."""
    number = (await desk.handle(text(UNMATCHED, who=who)))[0].case_number
    await desk.store.claim(number, "duty1")
    await desk.store.resolve(number, "duty1", "已电话答复")
    return number


async def case_count(desk) -> int:
    async with desk.store._read() as db:
        return (await desk.store._one(db, "SELECT COUNT(*) AS n FROM cases"))["n"]


# -- 1. a press continues in the conversation's language ---------------------------------------------


@pytest.mark.parametrize("platform_language", [None, "zh"])
async def test_presses_after_english_choices_are_answered_in_english(desk, platform_language):
    """Telegram said the phone is German (no hint) or Chinese; the citizen writes English and presses buttons."""
    wide(desk)
    offer = await desk.handle(text("Where can I get a PCR test", language=platform_language))
    assert offer[0].kind == "suggest" and offer[0].language == "en"
    answer = await desk.handle(pick(offer[0].choices[0].key, language=platform_language))
    assert [r.language for r in answer] == ["en", "en"]
    assert answer[0].text == "There are 42 permanent testing sites in the district."
    assert answer[1].text == say(desk, "feedback_prompt", "en")
    no = next(c.key for c in answer[1].choices if c.key.startswith("fb:n:"))
    sorry = await desk.handle(pick(no, language=platform_language))
    assert sorry[0].text == say(desk, "feedback_sorry", "en")
    handoff = await desk.handle(pick(sorry[0].choices[0].key, language=platform_language))
    assert handoff[0].language == "en" and handoff[0].text.startswith("Sorry that did not help")
    assert (await desk.store.get_case(handoff[0].case_number)).language == "en"


async def test_none_of_these_after_chinese_choices_is_chinese_on_an_english_phone(desk):
    wide(desk)
    offer = await desk.handle(text("健康码核酸", language="en"))
    assert offer[0].language == "zh"
    thanks = await desk.handle(pick(offer[0].choices[-1].key, language="en"))  # "none of these, talk to a person"
    assert thanks[0].text == say(desk, "handoff_requested", "zh", case=f"#{thanks[0].case_number}")
    assert (await desk.store.get_case(thanks[0].case_number)).language == "zh"


async def test_a_language_chosen_with_lang_still_wins_over_the_offered_one(desk):
    wide(desk)
    offer = await desk.handle(text("Where can I get a PCR test"))
    await desk.handle(pick("lang:zh"))
    answer = await desk.handle(pick(offer[0].choices[0].key))
    assert answer[0].text == "全区共有42个常态化核酸检测点。" and answer[1].language == "zh"


# -- 2. /lang during an open case --------------------------------------------------------------------


async def test_lang_during_an_open_case_moves_the_case_and_its_notices_to_that_language(desk):
    number = (await desk.handle(text(UNMATCHED)))[0].case_number
    await desk.handle(text("/lang"))
    await desk.handle(pick("lang:en"))
    case = await desk.store.get_case(number)
    assert case.language == "en"
    system = [m.text for m in await desk.store.messages(number) if m.author == "system"]
    assert system == [say(desk, "case_language_line", desk.settings.operator_language, chosen="English")]
    operators = OperatorDesk(desk.store, desk.settings, knowledge=desk.knowledge)
    await operators.take("duty1", number)
    await operators.send_faq("duty1", number, "testing-sites")
    await operators.resolve("duty1", number, "answered")
    sent = [item.text for item in await desk.store.outbox_items(number)]
    assert len(sent) == 3 and "There are 42 permanent testing sites in the district." in sent
    assert not any("\u4e00" <= ch <= "\u9fff" for item in sent for ch in item)  # taken, /faq, resolved: English


async def test_lang_without_a_case_or_with_the_same_language_records_nothing(desk):
    await desk.handle(pick("lang:en"))
    number = (await desk.handle(text("I want to book a flight ticket")))[0].case_number
    await desk.handle(pick("lang:en"))
    assert [m.author for m in await desk.store.messages(number)] == ["citizen"]


# -- 3. the reopen window ------------------------------------------------------------------------------


async def test_within_the_window_a_follow_up_the_faq_only_guesses_at_reopens_the_case(desk):
    number = await resolved_case(desk)
    wide(desk)
    replies = await desk.handle(text("你们说的办法我试了没用，健康码还是黄码"))
    assert replies[0].text == say(desk, "handoff_reopened", case=f"#{number}") and not replies[0].choices
    case = await desk.store.get_case(number)
    assert case.status == "open" and await case_count(desk) == 1
    assert (await desk.store.messages(number))[-1].text == "你们说的办法我试了没用，健康码还是黄码"


@pytest.mark.parametrize("request_words", ["人工", "/human", "I want to talk to a human"])
async def test_within_the_window_asking_for_a_person_reopens_instead_of_a_new_case(desk, request_words):
    number = await resolved_case(desk)
    replies = await desk.handle(text(request_words))
    assert replies[0].case_number == number and f"#{number}" in replies[0].text
    assert (await desk.store.get_case(number)).status == "open" and await case_count(desk) == 1


async def test_within_the_window_thanks_and_a_confident_answer_leave_the_case_resolved(desk):
    number = await resolved_case(desk)
    assert (await desk.handle(text("谢谢")))[0].text == say(desk, "thanks")
    assert (await desk.handle(text("👍")))[0].text == say(desk, "empty")
    answer = await desk.handle(text("健康码变黄了怎么办"))
    assert answer[0].kind == "answer"
    assert (await desk.store.get_case(number)).status == "resolved"
    sorry = await desk.handle(pick(answer[1].choices[1].key))  # not helpful ...
    reopened = await desk.handle(pick(sorry[0].choices[0].key))  # ... talk to a person: the same case
    assert reopened[0].case_number == number and reopened[0].text == say(desk, "handoff_reopened", case=f"#{number}")
    assert await case_count(desk) == 1


async def test_within_the_window_an_urgent_message_reopens_the_case_as_urgent(desk):
    number = await resolved_case(desk)
    replies = await desk.handle(text("我现在胸痛，喘不上气"))
    assert replies[0].kind == "urgent" and "120" in replies[0].text and f"#{number}" in replies[0].text
    case = await desk.store.get_case(number)
    assert (case.status, case.priority) == ("open", "urgent")


async def test_after_the_window_a_new_case_is_opened(desk, clock):
    number = await resolved_case(desk)
    clock.advance(desk.settings.queue.reopen_days * DAY + 60)
    replies = await desk.handle(text("人工"))
    assert replies[0].case_number != number and (await desk.store.get_case(number)).status == "resolved"


# -- 7. two messages at once after a resolution -------------------------------------------------------------


async def test_two_messages_at_once_after_a_resolution_both_join_the_reopened_case(desk):
    number = await resolved_case(desk)
    first, second = "我家楼下的垃圾三天没人收了", "还有小区门口的路灯坏了"
    replies = await asyncio.gather(desk.handle(text(first)), desk.handle(text(second)))
    assert [r[0].case_number for r in replies] == [number, number]
    log = [m.text for m in await desk.store.messages(number)]
    assert first in log and second in log
    assert await case_count(desk) == 1 and (await desk.store.get_case(number)).status == "open"


# -- 4. nothing to answer, unknown commands, full-width slashes, captions ------------------------------------


@pytest.mark.parametrize("body", ["👍", "👌👌", "🙏", "？？", "。。。", "..."])
async def test_emoji_or_punctuation_only_gets_the_empty_phrase_and_no_case(desk, body):
    replies = await desk.handle(text(body))
    assert replies[0].text == say(desk, "empty") and replies[0].case_number is None
    assert await case_count(desk) == 0


@pytest.mark.parametrize("body", ["/stop", "/menu", "/MENU@SomeBot", "/stop please"])
async def test_unknown_commands_get_a_short_help_and_no_case(desk, body):
    replies = await desk.handle(text(body))
    assert await case_count(desk) == 0 and replies[0].text == say(desk, "unknown_command")
    english = await desk.handle(text(body, who="u2", language="en"))
    assert english[0].text == say(desk, "unknown_command", "en")


async def test_a_full_width_slash_is_a_command(desk):
    assert (await desk.handle(text("／status")))[0].text == say(desk, "status_none")
    number = (await desk.handle(text(UNMATCHED)))[0].case_number
    assert (await desk.handle(text("／cancel")))[0].text == say(desk, "cancel_done", case=f"#{number}")
    assert (await desk.store.get_case(number)).status == "cancelled"


async def test_a_photo_captioned_with_a_question_is_answered(desk):
    replies = await desk.handle(photo("健康码变黄了怎么办"))
    assert replies[0].kind == "answer" and replies[0].entry_id == "health-code-yellow"


async def test_a_photo_captioned_with_a_complaint_opens_a_case_with_the_photo(desk):
    caption = "我要投诉这家药店哄抬口罩价格，这是照片"
    replies = await desk.handle(photo(caption, ref="FILE-9"))
    case = await desk.store.get_case(replies[0].case_number)
    assert (case.reason, case.question) == ("complaint", caption)
    (line,) = await desk.store.messages(case.number)
    assert line.text == caption and line.attachment == Attachment("photo", "FILE-9", caption)


async def test_an_urgent_caption_in_an_open_case_raises_it_and_keeps_the_photo(desk):
    number = (await desk.handle(text(UNMATCHED)))[0].case_number
    replies = await desk.handle(photo("救命，我呼吸困难", ref="FILE-3"))
    assert replies[0].kind == "urgent"
    assert (await desk.store.get_case(number)).priority == "urgent"
    assert (await desk.store.messages(number))[-1].attachment.ref == "FILE-3"


# -- 5. stale choices -------------------------------------------------------------------------------------


def drop_entry(desk, tmp_path, entry_id):
    """Remove an entry from the FAQ file and reload, as a maintainer's edit does."""
    kept = FAQ.split("  - id: ")
    faq = "  - id: ".join(part for part in kept if not part.startswith(entry_id + "\n"))
    (tmp_path / "faq.yaml").write_text(faq, encoding="utf-8")
    desk.knowledge.reload()


async def test_a_did_you_mean_choice_whose_entry_was_removed_has_expired(desk, tmp_path):
    wide(desk)
    offer = await desk.handle(text("健康码核酸"))
    key = next(c.key for c in offer[0].choices if c.key.startswith("faq:health-code-yellow:"))
    drop_entry(desk, tmp_path, "health-code-yellow")
    assert (await desk.handle(pick(key)))[0].text == say(desk, "choice_stale")


async def test_category_buttons_are_keyed_by_name_and_expire_with_their_category(desk, tmp_path):
    from frontdesk.desk import category_key  # imported here so the rest of the file runs on the old desk too

    menu = (await desk.handle(text("/start")))[1].choices
    assert [c.key for c in menu] == [f"cat:{category_key(c.label)}" for c in menu]
    keys = {c.label: c.key for c in menu}
    drop_entry(desk, tmp_path, "health-code-yellow")  # 健康码, the first category, is gone
    testing = await desk.handle(pick(keys["核酸检测"]))
    assert testing[0].text == say(desk, "category_prompt", category="核酸检测")
    assert [c.key for c in testing[0].choices] == ["faq:testing-sites"]
    assert (await desk.handle(pick(keys["健康码"])))[0].text == say(desk, "choice_stale")
    assert (await desk.handle(pick("cat:1")))[0].text == say(desk, "empty")  # an old position key: not a category


# -- 6. the case a press opens carries the citizen's words ------------------------------------------------


async def test_not_helpful_after_a_pick_opens_the_case_with_the_citizens_words(desk):
    wide(desk)
    asked = "is the fever clinic open at night"
    offer = await desk.handle(text(asked))
    fever = next(c.key for c in offer[0].choices if c.key.startswith("faq:fever-clinic:"))
    answer = await desk.handle(pick(fever))
    sorry = await desk.handle(pick(answer[1].choices[1].key))
    handoff = await desk.handle(pick(sorry[0].choices[0].key))
    case = await desk.store.get_case(handoff[0].case_number)
    assert (case.question, case.reason, case.category, case.language) == (asked, "not_helpful", "就医", "en")
    log = await desk.store.messages(case.number)
    assert [(m.author, m.text) for m in log] == [
        ("citizen", asked),
        ("system", say(desk, "answer_seen_line", desk.settings.operator_language,
                       question="发热门诊在哪里", entry="fever-clinic")),
    ]


async def test_not_helpful_after_a_menu_pick_uses_the_label_the_citizen_pressed(desk):
    await desk.handle(pick("lang:en"))
    answer = await desk.handle(pick("faq:testing-sites"))  # from the /start category menu: no words of theirs
    sorry = await desk.handle(pick(answer[1].choices[1].key))
    handoff = await desk.handle(pick(sorry[0].choices[0].key))
    assert (await desk.store.get_case(handoff[0].case_number)).question == "Where can I get a PCR test?"


async def test_a_choice_naming_another_citizens_question_does_not_carry_it(desk):
    wide(desk)
    offer = await desk.handle(text("我的私事：健康码核酸", who="u1"))
    stolen = offer[0].choices[-1].key  # human:<u1's question>
    handoff = await desk.handle(pick(stolen, who="u2"))
    case = await desk.store.get_case(handoff[0].case_number)
    assert case.citizen.user_id == "u2" and case.question == say(desk, "suggest_none")
    assert (await desk.handle(pick(offer[0].choices[0].key, who="u3")))[0].kind == "answer"  # the entry, no words
