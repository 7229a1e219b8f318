"""The handover says who owes each claimed case its next step (the department, the operator, the citizen),
and a reopened case starts afresh: no old department or summary shown for the citizen's new request."""

from __future__ import annotations

import pytest
from operator_harness import PHRASES, clock_fixture, say, store_fixture, taken_case

from frontdesk.operators import OperatorDesk
from frontdesk.settings import Operator, QueueSettings, Settings

SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, reopen_days=3,
                        supervisor=None),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2")),
    departments={"health": "卫健局 / Health Commission"},
)


clock = clock_fixture()
store = store_fixture()


@pytest.fixture
def desk(store, clock) -> OperatorDesk:
    return OperatorDesk(store, SETTINGS, PHRASES, clock=clock)


taken = taken_case


async def pending_of(desk) -> str:
    """Return the handover's single "pending" line (for one claimed case)."""
    [line] = [line for line in await desk.handle("duty2", "/handover") if line.startswith("    待办")]
    return line


async def test_a_case_taken_but_never_answered_has_the_citizen_waiting(desk, store, clock):
    await taken(store, desk)  # the log's last line is the bot's "a member of staff has taken up your question"
    clock.advance(600)
    pending = await pending_of(desk)
    assert say("pending_reply") in pending and say("pending_citizen") not in pending


async def test_an_internal_note_does_not_answer_the_citizen(desk, store, clock):
    number = await taken(store, desk)
    await desk.handle("duty1", f"/reply {number} 请问是哪个小区？")
    await store.add_message(number, "citizen", "阳光小区，还有人吗？")
    clock.advance(60)
    await desk.handle("duty1", f"/note {number} 已问水务公司，稍后回电")
    pending = await pending_of(desk)
    assert say("pending_reply") in pending and say("pending_citizen") not in pending


async def test_after_the_operators_reply_the_case_waits_for_the_citizen(desk, store, clock):
    number = await taken(store, desk)
    clock.advance(60)
    await desk.handle("duty1", f"/reply {number} 请问是哪个小区？")
    await desk.handle("duty1", f"/note {number} 等市民回复")
    pending = await pending_of(desk)
    assert say("pending_citizen") in pending and say("pending_reply") not in pending


async def test_a_forwarded_case_waits_for_the_department_only_until_answered_back(desk, store, clock):
    number = await taken(store, desk)
    clock.advance(60)
    await desk.handle("duty1", f"/transfer {number} dept:health 核实停水")
    pending = await pending_of(desk)
    assert say("pending_department", department="卫健局") in pending
    assert say("pending_citizen") not in pending and say("pending_reply") not in pending
    clock.advance(600)
    await desk.handle("duty1", f"/reply {number} 卫健局答复：明天不停水。")
    pending = await pending_of(desk)
    assert say("pending_citizen") in pending and "卫健局，等部门反馈" not in pending


async def test_a_citizen_waiting_past_the_time_limit_is_flagged(desk, store, clock):
    number = await taken(store, desk)
    await desk.handle("duty1", f"/reply {number} 请问是哪个小区？")
    clock.advance(600)
    await store.add_message(number, "citizen", "阳光小区")
    clock.advance(7200)  # a normal case's limit is 2 h
    pending = await pending_of(desk)
    assert say("pending_reply_overdue", waited="2小时0分") in pending


async def test_the_handover_names_a_case_whose_holder_is_off_duty(desk, store):
    number = await taken(store, desk)
    await desk.handle("duty1", "/offduty")
    await desk.handle("duty2", "/onduty")
    pending = await pending_of(desk)
    assert say("pending_holder_off_duty", holder="值班员一 (duty1)", number=number) in pending


async def test_a_reopened_case_has_no_department_or_summary_of_its_old_request(desk, store, clock):
    number = await taken(store, desk)
    await desk.handle("duty1", f"/transfer {number} dept:health 核实停水")
    await desk.handle("duty1", f"/reply {number} 卫健局答复：明天不停水。")
    await desk.handle("duty1", f"/resolve {number} 已答复")
    clock.advance(3600)
    await store.reopen(number, "citizen:wang")
    await store.add_message(number, "citizen", "另外想问一下垃圾清运时间")
    await desk.handle("duty2", f"/take {number}")
    case = await store.get_case(number)
    assert (case.department, case.summary) == (None, None)
    mine = await desk.handle("duty2", "/mine")
    assert "已转办" not in "\n".join(mine)
    pending = await pending_of(desk)
    assert "等部门反馈" not in pending and say("pending_reply") in pending
    kinds = [(e.kind, e.target, e.detail) for e in await store.events(number)]
    assert ("forwarded", "health", "核实停水") in kinds and ("resolved", None, "已答复") in kinds
