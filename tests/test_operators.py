"""The operators' service through its command entry point: every action, every refusal, with a real store."""

from __future__ import annotations

import pytest
from operator_harness import clock_fixture, store_fixture

from frontdesk.faq import parse_faq
from frontdesk.knowledge import KnowledgeBase
from frontdesk.model import Citizen
from frontdesk.operators import OperatorDesk, load_operator_phrases, localized
from frontdesk.settings import Operator, QueueSettings, Settings
from frontdesk.yamlfile import parse_yaml

FAQ = parse_faq(parse_yaml("""
version: 1
entries:
  - id: water-outage
    questions: [停水通知在哪里看]
    answer:
      zh: 停水通知请查看自来水公司公众号。
      en: Water outage notices are posted on the water company's official account.
""", "faq.yaml"), "faq.yaml")

SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, reopen_days=3,
                        auto_close_days=7, supervisor="lead"),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2"),
               Operator("lead", "值班长 / Shift lead")),
    departments={"health": "卫健局 / Health Commission", "community": "社区工作站 / Community Office"},
)
WANG = Citizen("console", "wang", "wang", "王先生")
ANN = Citizen("telegram", "1002", "chat-1002", "Ann")
PHRASES = load_operator_phrases()


def say(key: str, language: str = "zh", **fields) -> str:
    return PHRASES.say(key, language, **fields)


clock = clock_fixture()
store = store_fixture(SETTINGS.queue.claim_limits)


@pytest.fixture
def desk(store, clock) -> OperatorDesk:
    return OperatorDesk(store, SETTINGS, PHRASES, FAQ, clock=clock)


async def open_case(store, citizen=WANG, language="zh", priority="normal", question="帮我查一下我家小区明天停不停水"):
    return await store.open_case(citizen, reason="unmatched", priority=priority, question=question, language=language)


async def test_every_command_from_a_non_operator_is_refused_and_changes_nothing(desk, store):
    case = await open_case(store)
    refusal = [say("not_operator", operator="mallory")]
    for command in ("/queue", f"/take {case.number}", "/take", f"/reply {case.number} hi", f"/note {case.number} x",
                    f"/faq {case.number} water-outage", f"/transfer {case.number} duty1", f"/release {case.number}",
                    f"/resolve {case.number}", f"/history {case.number}", "/mine", "/onduty", "/offduty",
                    "/handover", "/stats", "/help", f"/addfaq {case.number} 草稿", "/reload", "hello"):
        assert await desk.handle("mallory", command) == refusal, command
    assert (await desk.take("mallory", case.number)).ok is False
    assert (await desk.add_to_faq("mallory", case.number, "草稿")).ok is False
    assert (await desk.reload("mallory")).ok is False
    assert (await store.get_case(case.number)).status == "open"
    assert [e.kind for e in await store.events(case.number)] == ["opened"]
    assert len(await store.messages(case.number)) == 1
    assert await store.outbox_items(case.number) == []
    assert await store.on_duty_operators() == []


async def test_execute_returns_the_whole_outcome_with_the_case_acted_on(desk, store, clock):
    first = await open_case(store, WANG)
    clock.advance(5)
    second = await open_case(store, ANN, language="en", question="water outage")
    taken = await desk.execute("duty1", "/take")  # no number: the case comes from the queue, not from the text
    assert (taken.ok, taken.case.number, taken.case.status) == (True, first.number, "claimed")
    assert taken.lines[0].startswith(f"已接手 #{first.number}")
    for command in ("/reply 您好", "/note 内部备注", "/faq water-outage", "/history"):  # the current case
        outcome = await desk.execute("duty1", command)
        assert outcome.ok and outcome.case.number == first.number, command
    noted = await desk.execute("duty1", f"/note {second.number} 另一件")  # a note on a case someone else may take
    assert noted.ok and noted.case.number == second.number and noted.case.status == "open"
    resolved = await desk.execute("duty1", "/resolve 已答复")
    assert (resolved.case.number, resolved.case.status) == (first.number, "resolved")
    assert (await desk.execute("duty1", "/addfaq")).case.add_to_faq is True
    refused = await desk.execute("duty2", f"/resolve {first.number}")
    assert (refused.ok, refused.case) == (False, None)
    assert refused.lines == await desk.handle("duty2", f"/resolve {first.number}")
    queue = await desk.execute("duty2", "/queue")
    assert queue.ok and queue.case is None and queue.lines == await desk.handle("duty2", "/queue")
    for text in ("/nonsense", "just talking", "   "):
        outcome = await desk.execute("duty1", text)
        assert outcome.ok is False and outcome.case is None and outcome.lines == await desk.handle("duty1", text)
    assert await desk.execute("mallory", "/queue") == await desk.take("mallory")


async def test_take_claims_and_tells_the_citizen(desk, store):
    case = await open_case(store)
    lines = await desk.handle("duty1", f"/take {case.number}")
    assert lines[0].startswith(f"已接手 #{case.number}（王先生，中文")
    assert (await store.get_case(case.number)).operator_id == "duty1"
    [notice] = await store.outbox_items(case.number)
    assert notice.text == say("to_citizen_taken", case=f"#{case.number}") and notice.author_operator is None
    assert await desk.handle("duty2", f"/take #{case.number}") == [
        say("taken", case=f"#{case.number}", holder="值班员一 (duty1)")]
    assert await desk.handle("duty1", f"/take {case.number}") == [say("already_yours", case=f"#{case.number}")]
    assert await desk.handle("duty1", "/take 999") == [say("not_found", case="#999")]


async def test_take_without_a_number_takes_the_head_of_the_queue(desk, store, clock):
    await open_case(store, WANG)
    clock.advance(5)
    urgent = await open_case(store, ANN, language="en", priority="urgent", question="fever at school")
    lines = await desk.handle("duty1", "/take")
    assert f"#{urgent.number}" in lines[0]
    assert (await store.get_case(urgent.number)).operator_id == "duty1"
    await desk.handle("duty1", "/take")
    assert await desk.handle("duty1", "/take") == [say("queue_empty_take")]


async def test_reply_goes_through_the_outbox_only_from_the_holder(desk, store):
    case = await open_case(store)
    assert await desk.handle("duty1", f"/reply {case.number} 您好") == [
        say("not_claimed", case=f"#{case.number}", number=case.number)]
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty1", f"/reply {case.number} 请问是哪个小区？") == [
        say("replied", case=f"#{case.number}")]
    assert await desk.handle("duty1", "/reply 是福田区的吗") == [say("replied", case=f"#{case.number}")]
    assert await desk.handle("duty2", f"/reply {case.number} 我来插一句") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]
    assert await desk.handle("duty2", "/reply 没有当前工单") == [say("no_current")]
    texts = [(i.text, i.author_operator) for i in await store.outbox_items(case.number)]
    assert texts[1:] == [("请问是哪个小区？", "duty1"), ("是福田区的吗", "duty1")]
    assert await desk.handle("duty1", "/reply") == [say("usage", usage="/reply [N] text")]


async def test_plain_text_is_never_sent_to_a_citizen(desk, store):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    before = await store.outbox_items(case.number)
    assert await desk.handle("duty1", "我随便打的字") == [say("plain_text", case=f"#{case.number}")]
    assert await store.outbox_items(case.number) == before


async def test_notes_are_internal(desk, store):
    case = await open_case(store)
    assert await desk.handle("duty2", f"/note {case.number} 已电话联系水务") == [say("noted", case=f"#{case.number}")]
    line = (await store.messages(case.number))[-1]
    assert (line.author, line.operator_id, line.text) == ("note", "duty2", "已电话联系水务")
    assert await store.outbox_items(case.number) == []
    assert await desk.handle("duty1", "/note 999 x") == [say("not_found", case="#999")]


async def test_faq_sends_the_standard_answer_in_the_citizens_language(desk, store):
    case = await open_case(store, ANN, language="en", question="is the water off tomorrow?")
    await desk.handle("duty1", f"/take {case.number}")
    lines = await desk.handle("duty1", f"/faq {case.number} water-outage")
    assert lines == [say("faq_sent", entry="water-outage", lang_name="英文", case=f"#{case.number}")]
    sent = (await store.outbox_items(case.number))[-1]
    assert sent.text == FAQ.get("water-outage").answer("en") and sent.author_operator == "duty1"
    assert await desk.handle("duty1", f"/faq {case.number} no-such-entry") == [
        say("faq_unknown", entry="no-such-entry")]
    assert await desk.handle("duty2", f"/faq {case.number} water-outage") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]


async def test_transfer_to_another_operator_moves_the_claim_and_tells_them(desk, store):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty1", f"/transfer {case.number} duty2 她熟悉水务") == [
        say("transferred", case=f"#{case.number}", target="值班员二 (duty2)"),
        say("target_off_duty", target="值班员二 (duty2)")]
    assert (await store.get_case(case.number)).operator_id == "duty2"
    [notice] = await store.pop_notices("duty2")
    assert desk.render_notice(notice).startswith("值班员一 (duty1) 把 #1 转给了您（原因：她熟悉水务）")
    assert await desk.handle("duty1", f"/transfer {case.number} duty1") == [say("transfer_self")]
    assert await desk.handle("duty1", f"/transfer {case.number} nobody") == [
        say("unknown_target", target="nobody", departments="dept:health, dept:community")]
    assert await desk.handle("duty1", f"/transfer {case.number} lead") == [
        say("not_owner", case=f"#{case.number}", holder="值班员二 (duty2)")]


async def test_forward_to_a_department_keeps_the_case_with_its_operator(desk, store):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    lines = await desk.handle("duty1", f"/transfer {case.number} dept:health 需卫健局核实")
    assert lines == [say("forwarded", case=f"#{case.number}", department="卫健局")]
    after = await store.get_case(case.number)
    assert (after.status, after.operator_id, after.department) == ("claimed", "duty1", "health")
    event = (await store.events(case.number))[-1]
    assert (event.kind, event.actor, event.target, event.detail) == ("forwarded", "duty1", "health", "需卫健局核实")
    told = (await store.outbox_items(case.number))[-1]
    assert told.text == say("to_citizen_forwarded", case=f"#{case.number}", department="卫健局")
    assert await desk.handle("duty1", f"/transfer {case.number} dept:police") == [
        say("unknown_target", target="dept:police", departments="dept:health, dept:community")]


async def test_release_puts_the_case_back_and_only_the_holder_or_supervisor_may(desk, store):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty2", f"/release {case.number}") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]
    assert await desk.handle("lead", f"/release {case.number}") == [say("released", case=f"#{case.number}")]
    assert (await store.get_case(case.number)).status == "open"
    assert await desk.handle("duty1", f"/release {case.number}") == [
        say("not_claimed", case=f"#{case.number}", number=case.number)]


async def test_resolve_once_by_the_holder_and_the_citizen_is_told(desk, store):
    case = await open_case(store)
    assert await desk.handle("duty1", f"/resolve {case.number}") == [
        say("not_claimed", case=f"#{case.number}", number=case.number)]
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty2", f"/resolve {case.number}") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]
    assert await desk.handle("duty1", f"/resolve {case.number} 已告知停水安排") == [
        say("resolved", case=f"#{case.number}")]
    resolved = await store.get_case(case.number)
    assert (resolved.status, resolved.summary) == ("resolved", "已告知停水安排")
    assert (await store.outbox_items(case.number))[-1].text == say("to_citizen_resolved", case="#1", days="3")
    assert await desk.handle("duty1", f"/resolve {case.number}") == [
        say("bad_state", case=f"#{case.number}", status="已办结")]
    assert await desk.handle("duty1", f"/reply {case.number} 补充一句") == [
        say("bad_state", case=f"#{case.number}", status="已办结")]
    assert [e.kind for e in await store.events(case.number)] == ["opened", "claimed", "resolved"]


async def test_resolve_the_current_case_with_a_summary(desk, store):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty1", "/resolve 已答复") == [say("resolved", case=f"#{case.number}")]
    assert (await store.get_case(case.number)).summary == "已答复"
    assert await desk.handle("duty1", "/resolve") == [say("no_current")]


async def test_queue_history_mine_handover_and_stats(desk, store, clock):
    first = await open_case(store, WANG)
    clock.advance(600)
    second = await open_case(store, ANN, language="en", priority="urgent", question="fever at school")
    clock.advance(60)
    queue = await desk.handle("duty1", "/queue")
    assert queue[0] == say("queue_header", total=2, shown="")
    assert queue[1].startswith(f"#{second.number} [紧急] 已等 1分钟")
    assert queue[2].startswith(f"#{first.number} [一般] 已等 11分钟")
    await desk.handle("duty1", f"/take {first.number}")
    await desk.handle("duty1", f"/reply {first.number} 请问是哪个小区？")
    await store.add_message(first.number, "citizen", "阳光小区")
    history = await desk.handle("lead", f"/history {first.number}")
    assert history[0].startswith(f"工单 #{first.number}（处理中")
    assert any("值班员 duty1：请问是哪个小区？" in line for line in history)
    assert any("▸ 值班员一 (duty1) 接手" in line for line in history)
    assert history[-1].endswith("市民：阳光小区")
    mine = await desk.handle("duty1", "/mine")
    assert mine[0] == say("mine_header", count=1) and "阳光小区" in mine[1]
    assert await desk.handle("duty2", "/mine") == [say("mine_empty")]
    clock.advance(240)  # the urgent case has now waited its 5 minutes
    handover = "\n".join(await desk.handle("duty2", "/handover"))
    assert "待接 1 件（其中超时 1 件），处理中 1 件" in handover
    assert say("pending_reply") in handover and say("pending_overdue") in handover
    assert say("pending_undelivered", count=2) in handover
    clock.advance(300)
    await desk.handle("duty1", f"/resolve {first.number}")
    stats = (await desk.handle("duty1", "/stats"))[0]
    assert "转人工 2 件：机器人答不了 2" in stats
    assert "接单 1 件，接单用时中位数 11分钟" in stats
    assert "办结 1 件，办结用时中位数 20分钟" in stats
    assert "当前待接 1 件，处理中 0 件" in stats


async def test_on_and_off_duty(desk, store):
    assert await desk.handle("duty1", "/onduty") == [say("on_duty", name="值班员一 (duty1)")]
    assert await store.on_duty_operators() == ["duty1"]
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty1", "/offduty") == [say("off_duty", name="值班员一 (duty1)", count=1)]
    assert await store.on_duty_operators() == []


async def test_help_usage_and_unknown_commands(desk):
    assert await desk.handle("duty1", "/help") == [say("help")]
    assert await desk.handle("duty1", "/take@frontdesk_bot abc") == [say("usage", usage="/take [N]")]
    assert await desk.handle("duty1", "/frobnicate") == [say("unknown_command", command="/frobnicate")]
    assert await desk.handle("duty1", "   ") == []


async def test_operators_can_work_in_english(store, clock):
    desk = OperatorDesk(store, SETTINGS, PHRASES, FAQ, language="en", clock=clock)
    case = await open_case(store)
    lines = await desk.handle("duty1", f"/take {case.number}")
    assert lines[0].startswith(f"You have taken #{case.number} (王先生, Chinese, no FAQ answer, normal)")
    assert await desk.handle("duty2", f"/resolve {case.number}") == [
        say("not_owner", "en", case=f"#{case.number}", holder="Duty 1 (duty1)")]
    # the citizen's notice follows the case's language, not the operators'
    assert (await store.outbox_items(case.number))[0].text == say("to_citizen_taken", "zh", case="#1")


async def test_button_actions_return_the_case(desk, store):
    case = await open_case(store)
    taken = await desk.take("duty1", case.number)
    assert taken.ok and taken.case.status == "claimed"
    refused = await desk.take("duty2", case.number)
    assert not refused.ok and refused.case is None
    done = await desk.resolve("duty1", case.number)
    assert done.ok and done.case.status == "resolved"


async def test_addfaq_marks_a_resolved_case_with_the_last_reply_as_draft(desk, store, clock):
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    await desk.handle("duty1", "/reply 停水通知请查看自来水公司公众号。")
    await desk.handle("duty1", "/resolve 已答复")
    sent = await store.outbox_items(case.number)
    clock.advance(60)
    # without N: the case just resolved (it is no longer the current case)
    assert await desk.handle("duty1", "/addfaq") == [
        say("faq_marked", case=f"#{case.number}", draft="停水通知请查看自来水公司公众号。")]
    marked = await store.get_case(case.number)
    assert (marked.add_to_faq, marked.faq_draft, marked.status) == (True, None, "resolved")
    event = (await store.events(case.number))[-1]
    assert (event.kind, event.actor, event.at) == ("marked_for_faq", "duty1", clock.now)
    assert await desk.handle("duty1", f"/addfaq #{case.number} 停水通知以自来水公司公众号为准。") == [
        say("faq_marked", case=f"#{case.number}", draft="停水通知以自来水公司公众号为准。")]
    assert (await store.get_case(case.number)).faq_draft == "停水通知以自来水公司公众号为准。"
    history = await desk.handle("lead", f"/history {case.number}")
    assert history[-1].endswith("▸ 值班员一 (duty1) 建议加入常见问题（停水通知以自来水公司公众号为准。）")
    assert await store.outbox_items(case.number) == sent  # the citizen is told nothing about it


async def test_addfaq_is_refused_like_the_other_steps(desk, store):
    case = await open_case(store)
    assert await desk.handle("duty1", f"/addfaq {case.number}") == [
        say("not_claimed", case=f"#{case.number}", number=case.number)]
    await desk.handle("duty1", f"/take {case.number}")
    assert await desk.handle("duty2", f"/addfaq {case.number} 我也想加") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]
    assert await desk.handle("duty1", "/addfaq 999") == [say("not_found", case="#999")]
    assert await desk.handle("duty2", "/addfaq") == [say("no_current")]
    assert not (await store.get_case(case.number)).add_to_faq
    assert "marked_for_faq" not in [e.kind for e in await store.events(case.number)]
    # while handling it, with no reply yet: marked, and told there is no draft
    assert await desk.handle("duty1", "/addfaq") == [say("faq_marked_no_draft", case=f"#{case.number}")]
    await desk.handle("duty1", f"/resolve {case.number}")
    assert await desk.handle("duty2", f"/addfaq {case.number}") == [
        say("not_owner", case=f"#{case.number}", holder="值班员一 (duty1)")]
    outcome = await desk.add_to_faq("lead", case.number, "值班长写的草稿")  # the supervisor may, as a button would
    assert outcome.ok and outcome.case.faq_draft == "值班长写的草稿"
    assert outcome.lines == [say("faq_marked", case=f"#{case.number}", draft="值班长写的草稿")]


async def test_help_lists_the_new_commands_in_both_languages():
    for language in ("zh", "en"):
        assert "/addfaq [N]" in say("help", language) and "/reload" in say("help", language)


RELOAD_FAQ = """\
version: 1
entries:
  - id: water-outage
    questions: [停水通知在哪里看]
    answer:
      zh: 停水通知请查看自来水公司公众号。
      en: Water outage notices are posted on the water company's official account.
  - id: power-outage
    questions: [停电通知在哪里看]
    answer:
      zh: 停电通知请查看供电公司公众号。
      en: Power cuts are announced by the power company.
"""


@pytest.fixture
def knowledge(tmp_path) -> KnowledgeBase:
    faq = tmp_path / "faq.yaml"
    faq.write_text(RELOAD_FAQ, encoding="utf-8")
    return KnowledgeBase(faq, SETTINGS.intents_path, SETTINGS.messages_paths)


async def test_reload_applies_a_good_edit_and_refuses_a_broken_one(store, clock, knowledge):
    desk = OperatorDesk(store, SETTINGS, PHRASES, clock=clock, knowledge=knowledge)
    case = await open_case(store)
    await desk.handle("duty1", f"/take {case.number}")
    faq = knowledge.faq_path
    faq.write_text(RELOAD_FAQ.replace("自来水公司公众号。", "自来水公司公众号或拨打 96116。") + """\
  - id: gas-outage
    questions: [停气通知在哪里看]
    answer: {zh: 停气通知请查看燃气公司公众号。, en: Gas cuts are announced by the gas company.}
""", encoding="utf-8")
    assert await desk.handle("duty1", "/reload") == [say("reload_done", entries=3)]
    await desk.handle("duty1", "/faq water-outage")  # /faq answers from the reloaded FAQ
    await desk.handle("duty1", "/faq gas-outage")
    assert [i.text for i in await store.outbox_items(case.number)][-2:] == [
        "停水通知请查看自来水公司公众号或拨打 96116。", "停气通知请查看燃气公司公众号。"]

    good = knowledge.current
    faq.write_text(faq.read_text(encoding="utf-8").replace("  - id: power-outage", "  - id: Power Outage"),
                   encoding="utf-8")
    [refused] = await desk.handle("duty1", "/reload")
    problem = f"{faq}:8: entries[1] (id Power Outage).id: use only lowercase"
    assert refused.startswith(say("reload_refused", entries=3, problems="")) and problem in refused
    assert knowledge.current is good  # the last good FAQ is kept
    assert (await desk.reload("duty1")).ok is False
    await desk.handle("duty1", "/faq power-outage")
    assert (await store.outbox_items(case.number))[-1].text == "停电通知请查看供电公司公众号。"

    english = OperatorDesk(store, SETTINGS, PHRASES, clock=clock, knowledge=knowledge, language="en")
    faq.write_text(RELOAD_FAQ, encoding="utf-8")
    assert await english.handle("lead", "/reload") == [say("reload_done", "en", entries=2)]
    assert knowledge.current.faq.get("gas-outage") is None
    assert await desk.handle("duty1", "/reload now") == [say("usage", usage="/reload")]


async def test_reload_without_a_knowledge_base_says_so(desk):
    assert await desk.handle("duty1", "/reload") == [say("reload_unavailable")]
    assert (await desk.reload("duty1")).ok is False


def test_localized_names():
    assert localized("卫健局 / Health Commission", "zh") == "卫健局"
    assert localized("卫健局 / Health Commission", "en") == "Health Commission"
    assert localized("duty1", "en") == "duty1"


def test_every_operator_phrase_loads_in_both_languages():
    assert {"zh", "en"} <= set(PHRASES.phrases["help"])
    assert all(set(texts) == {"zh", "en"} for texts in PHRASES.phrases.values())


def test_every_case_event_has_a_history_line():
    from frontdesk.cases import EVENT_KINDS

    assert [kind for kind in EVENT_KINDS if f"event_{kind}" not in PHRASES.phrases] == []


# -- case numbers: a number is always the case it names ---------------------------------------------------


async def _two_cases_second_current(desk, store):
    """Open #1 (王先生) and #2 (Ann), both taken by duty1, #2 last: #2 is duty1's current case."""
    first, second = await open_case(store), await open_case(store, ANN, language="en")
    await desk.handle("duty1", f"/take {first.number}")
    await desk.handle("duty1", f"/take {second.number}")
    return first, second


async def _unchanged(store, second) -> None:
    """Assert duty1's current case #2 got nothing: no text, no note, still claimed."""
    assert len(await store.outbox_items(second.number)) == 1  # only the "taken" notice
    assert not [m for m in await store.messages(second.number) if m.author in ("operator", "note")]
    assert (await store.get_case(second.number)).status == "claimed"


@pytest.mark.parametrize("command,usage", [
    ("/reply 1", "/reply [N] text"), ("/note #1", "/note [N] text"), ("/faq 1", "/faq [N] ENTRY_ID"),
    ("/transfer 1", "/transfer [N] OPERATOR|dept:KEY [why]"),
])
async def test_a_lone_number_is_the_case_with_its_text_missing(desk, store, command, usage):
    first, second = await _two_cases_second_current(desk, store)
    assert await desk.handle("duty1", command) == [say("usage", usage=usage)]
    assert len(await store.outbox_items(first.number)) == 1
    await _unchanged(store, second)


@pytest.mark.parametrize("command,usage", [
    ("/resolve -1", "/resolve [N] [summary]"), ("/release -1", "/release [N]"), ("/history #-1", "/history [N]"),
    ("/addfaq -1", "/addfaq [N] [draft]"), ("/reply -1 您好", "/reply [N] text"), ("/take -1", "/take [N]"),
    ("/note １ 备注", "/note [N] text"), ("/take ²", "/take [N]"), ("/take 1 2", "/take [N]"),
])
async def test_a_negative_or_odd_number_is_refused_not_used_on_the_current_case(desk, store, command, usage):
    _, second = await _two_cases_second_current(desk, store)
    assert await desk.handle("duty1", command) == [say("usage", usage=usage)]
    await _unchanged(store, second)
    assert not (await store.get_case(second.number)).add_to_faq


@pytest.mark.parametrize("command", ["/take 99999999999999999999", "/reply 99999999999999999999 您好",
                                     "/resolve #9223372036854775808", f"/history {'9' * 5000}"])
async def test_a_number_beyond_the_store_is_no_such_case(desk, store, command):
    _, second = await _two_cases_second_current(desk, store)
    number = command.split()[1].removeprefix("#")
    assert await desk.handle("duty1", command) == [say("not_found", case=f"#{number}")]
    await _unchanged(store, second)


def test_only_ascii_digits_within_sqlite_range_are_case_numbers():
    from frontdesk.operator_commands import MAX_CASE_NUMBER, case_number

    assert [case_number(t) for t in ("12", "#12", "0012", str(MAX_CASE_NUMBER))] == [12, 12, 12, MAX_CASE_NUMBER]
    assert [case_number(t) for t in ("²", "１２", "-1", "#", "", "1.5", "12a", str(MAX_CASE_NUMBER + 1))] == [None] * 8
