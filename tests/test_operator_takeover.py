"""Cases never stick with an absent colleague: an on-duty operator takes over a case whose holder is off duty,
recorded with who and when, the holder told; and transfers are judged against the case's holder, not the actor."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from operator_harness import PHRASES, WANG, clock_fixture, say, store_fixture, taken_case

from frontdesk.cases import CaseError
from frontdesk.operators import OperatorDesk
from frontdesk.settings import Operator, QueueSettings, Settings

SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, supervisor="lead"),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2"),
               Operator("lead", "值班长 / Shift lead")),
)
NO_SUPERVISOR = dataclasses.replace(SETTINGS, queue=dataclasses.replace(SETTINGS.queue, supervisor=None))
DUTY1 = "值班员一 (duty1)"
DUTY2 = "值班员二 (duty2)"
LEAD = "值班长 (lead)"


clock = clock_fixture()
store = store_fixture()


@pytest.fixture
def desk(store, clock) -> OperatorDesk:
    return OperatorDesk(store, NO_SUPERVISOR, PHRASES, clock=clock)


@pytest.fixture
def led_desk(store, clock) -> OperatorDesk:
    return OperatorDesk(store, SETTINGS, PHRASES, clock=clock)


held_by_duty1 = taken_case


async def test_an_on_duty_operator_takes_over_a_case_whose_holder_went_off_duty(desk, store, clock):
    number = await held_by_duty1(store, desk)
    await desk.handle("duty1", "/offduty")
    await desk.handle("duty2", "/onduty")
    await store.add_message(number, "citizen", "还有人吗？")
    clock.advance(3600)
    lines = await desk.handle("duty2", f"/take {number}")
    assert lines[0].startswith(f"已接手 #{number}（王先生")
    assert lines[1] == say("took_over", case=f"#{number}", holder=DUTY1)
    assert any("还有人吗？" in line for line in lines)
    case = await store.get_case(number)
    assert (case.status, case.operator_id, case.claimed_at) == ("claimed", "duty2", clock.now)
    event = (await store.events(number))[-1]
    assert (event.kind, event.actor, event.target, event.at) == ("taken_over", "duty2", "duty1", clock.now)
    [notice] = await store.pop_notices("duty1")
    assert desk.render_notice(notice) == say("notice_taken_over", actor=DUTY2, case=f"#{number}", name="王先生",
                                             question="明天停水吗")
    history = await desk.handle("duty2", f"/history {number}")
    assert any(say("event_taken_over", actor=DUTY2, target=DUTY1) in line for line in history)
    assert await desk.handle("duty2", f"/reply {number} 您好，明天不停水。") == [say("replied", case=f"#{number}")]
    assert await desk.handle("duty2", f"/resolve {number}") == [say("resolved", case=f"#{number}")]


async def test_a_case_whose_holder_is_on_duty_stays_theirs(desk, store):
    number = await held_by_duty1(store, desk)
    await desk.handle("duty1", "/onduty")
    await desk.handle("duty2", "/onduty")
    assert await desk.handle("duty2", f"/take {number}") == [say("taken", case=f"#{number}", holder=DUTY1)]
    assert await desk.handle("duty2", f"/reply {number} 您好") == [say("not_owner", case=f"#{number}", holder=DUTY1)]
    assert (await store.get_case(number)).operator_id == "duty1"
    assert [e.kind for e in await store.events(number)] == ["opened", "claimed"]
    assert await store.pop_notices("duty1") == []


async def test_only_an_operator_on_duty_may_take_over(desk, store):
    number = await held_by_duty1(store, desk)
    await desk.handle("duty1", "/offduty")
    assert await desk.handle("duty2", f"/take {number}") == [say("taken", case=f"#{number}", holder=DUTY1)]
    assert (await store.get_case(number)).operator_id == "duty1"


async def test_an_on_duty_operator_refused_a_step_is_told_the_absent_holder_can_be_relieved(desk, store):
    number = await held_by_duty1(store, desk)
    await desk.handle("duty1", "/offduty")
    await desk.handle("duty2", "/onduty")
    assert await desk.handle("duty2", f"/reply {number} 您好") == [
        say("not_owner", case=f"#{number}", holder=DUTY1), say("holder_off_duty", holder=DUTY1, number=number)]


async def test_a_case_held_by_someone_gone_from_the_roster_can_be_taken_over(store, clock):
    former = dataclasses.replace(NO_SUPERVISOR, operators=(*NO_SUPERVISOR.operators, Operator("duty9", "值班员九")))
    old_desk = OperatorDesk(store, former, PHRASES, clock=clock)
    case = await store.open_case(WANG, reason="unmatched", priority="normal", question="明天停水吗", language="zh")
    await old_desk.handle("duty9", "/onduty")  # never went off duty, then left the team
    await old_desk.handle("duty9", f"/take {case.number}")
    desk = OperatorDesk(store, NO_SUPERVISOR, PHRASES, clock=clock)
    await desk.handle("duty2", "/onduty")
    lines = await desk.handle("duty2", f"/take {case.number}")
    assert lines[1] == say("took_over", case=f"#{case.number}", holder="duty9")
    assert (await store.get_case(case.number)).operator_id == "duty2"


async def test_of_two_operators_taking_over_at_once_exactly_one_wins(desk, store):
    number = await held_by_duty1(store, desk)
    await desk.handle("duty1", "/offduty")
    await store.set_on_duty("duty2", True)
    await store.set_on_duty("lead", True)
    results = await asyncio.gather(store.take_over(number, "duty2", "duty1"), store.take_over(number, "lead", "duty1"),
                                   return_exceptions=True)
    [won] = [r for r in results if not isinstance(r, BaseException)]
    [lost] = [r for r in results if isinstance(r, CaseError)]
    assert (lost.code, lost.holder) == ("taken", won.operator_id)
    assert [e.kind for e in await store.events(number)] == ["opened", "claimed", "taken_over"]
    assert len(await store.pop_notices("duty1")) == 1
    loser = "lead" if won.operator_id == "duty2" else "duty2"
    assert await desk.handle(loser, f"/take {number}") == [   # the new holder is on duty: the case stays theirs
        say("taken", case=f"#{number}", holder=DUTY2 if won.operator_id == "duty2" else LEAD)]


async def test_a_supervisor_may_transfer_a_case_to_themselves(led_desk, store, clock):
    number = await held_by_duty1(store, led_desk)
    clock.advance(600)
    assert await led_desk.handle("lead", f"/transfer {number} lead 我来处理") == [
        say("transferred", case=f"#{number}", target=LEAD)]
    case = await store.get_case(number)
    assert (case.operator_id, case.claimed_at) == ("lead", clock.now)
    event = (await store.events(number))[-1]
    assert (event.kind, event.actor, event.target, event.detail) == ("transferred", "lead", "lead", "我来处理")
    assert await store.pop_notices("lead") == []  # nobody needs telling they did it themselves
    assert await led_desk.handle("lead", "/reply 您好，我是值班长。") == [say("replied", case=f"#{number}")]


async def test_a_transfer_to_the_current_holder_is_refused_and_changes_nothing(led_desk, store, clock):
    number = await held_by_duty1(store, led_desk)
    clock.advance(600)
    assert await led_desk.handle("lead", f"/transfer {number} duty1") == [
        say("transfer_to_holder", case=f"#{number}", target=DUTY1)]
    case = await store.get_case(number)
    assert (case.operator_id, case.claimed_at) == ("duty1", clock.now - 600)
    assert [e.kind for e in await store.events(number)] == ["opened", "claimed"]
    assert await store.pop_notices("duty1") == []
    assert await led_desk.handle("duty1", f"/transfer {number} duty1") == [say("transfer_self")]
    assert await led_desk.handle("duty2", f"/transfer {number} duty2") == [say("transfer_self")]
