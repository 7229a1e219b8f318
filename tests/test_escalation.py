"""Time limits: an overdue case is escalated exactly once to the on-duty operators and the supervisor;
resolved cases close after N days."""

from __future__ import annotations

import asyncio

import pytest
from operator_harness import Board, clock_fixture, store_fixture

from frontdesk.cases import CaseError
from frontdesk.escalation import Escalator, relay_notices
from frontdesk.model import Citizen
from frontdesk.operators import OperatorDesk
from frontdesk.settings import Operator, QueueSettings, Settings
from frontdesk.store import SqliteStore

SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, reopen_days=3,
                        auto_close_days=7, supervisor="lead"),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2"),
               Operator("duty3", "值班员三 / Duty 3"), Operator("lead", "值班长 / Shift lead")),
)


clock = clock_fixture()
store = store_fixture(SETTINGS.queue.claim_limits)


async def urgent_case(store, user="u1"):
    return await store.open_case(Citizen("telegram", user, user, "市民"), reason="urgent", priority="urgent",
                                 question="学校里很多学生发烧", language="zh")


async def test_an_overdue_urgent_case_is_escalated_exactly_once(store, clock):
    await store.set_on_duty("duty1", True)
    await store.set_on_duty("duty2", True)
    case = await urgent_case(store)
    escalator = Escalator(store, SETTINGS, clock=clock)
    clock.advance(299)
    assert (await escalator.sweep()).escalated == []
    clock.advance(1)
    sweep = await escalator.sweep()
    assert [(c.number, recipients) for c, recipients in sweep.escalated] == [(case.number, ["duty1", "duty2", "lead"])]
    assert sweep.escalated[0][0].escalated_at == clock.now
    for _ in range(3):
        clock.advance(600)
        assert (await escalator.sweep()).escalated == []
    assert [e.kind for e in await store.events(case.number)].count("escalated") == 1
    notices = await store.pop_notices()
    assert sorted(n.operator_id for n in notices) == ["duty1", "duty2", "lead"]
    assert {n.kind for n in notices} == {"escalated"}
    assert await store.pop_notices() == []  # shown once


async def test_only_on_duty_operators_and_the_supervisor_are_alerted(store, clock):
    await store.set_on_duty("duty3", True)
    await urgent_case(store)
    clock.advance(301)
    [(_, recipients)] = (await Escalator(store, SETTINGS, clock=clock).sweep()).escalated
    assert recipients == ["duty3", "lead"]


async def test_with_nobody_on_duty_and_no_supervisor_every_operator_is_alerted(store, clock):
    settings = Settings(queue=QueueSettings(supervisor=None), operators=SETTINGS.operators)
    await urgent_case(store)
    clock.advance(301)
    [(_, recipients)] = (await Escalator(store, settings, clock=clock).sweep()).escalated
    assert recipients == ["duty1", "duty2", "duty3", "lead"]


async def test_concurrent_sweeps_from_several_processes_escalate_once(tmp_path, clock):
    path = tmp_path / "many.sqlite3"
    async with SqliteStore(path, clock=clock) as store:
        await store.set_on_duty("duty1", True)
        for i in range(5):
            await urgent_case(store, f"u{i}")
    clock.advance(301)
    stores = [SqliteStore(path, clock=clock) for _ in range(8)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        sweeps = await asyncio.gather(*(Escalator(s, SETTINGS, clock=clock).sweep() for s in stores))
        escalated = [c.number for sweep in sweeps for c, _ in sweep.escalated]
        assert sorted(escalated) == [1, 2, 3, 4, 5]
        notices = await stores[0].pop_notices("duty1")
        assert sorted(n.case.number for n in notices) == [1, 2, 3, 4, 5]
    finally:
        await asyncio.gather(*(s.close() for s in stores))


async def test_normal_and_high_cases_use_their_own_limits(store, clock):
    normal = await store.open_case(Citizen("console", "n", "n"), reason="unmatched", priority="normal",
                                   question="q", language="zh")
    high = await store.open_case(Citizen("console", "h", "h"), reason="complaint", priority="high",
                                 question="q", language="zh")
    escalator = Escalator(store, SETTINGS, clock=clock)
    clock.advance(1800)
    assert [c.number for c, _ in (await escalator.sweep()).escalated] == [high.number]
    clock.advance(7200 - 1800)
    assert [c.number for c, _ in (await escalator.sweep()).escalated] == [normal.number]


async def test_a_claimed_case_is_not_escalated_and_a_released_one_can_be_again(store, clock):
    case = await urgent_case(store)
    escalator = Escalator(store, SETTINGS, clock=clock)
    clock.advance(100)
    await store.claim(case.number, "duty1")
    clock.advance(1000)
    assert (await escalator.sweep()).escalated == []
    await store.release(case.number, "duty1")  # back in the queue: a new waiting period starts
    clock.advance(299)
    assert (await escalator.sweep()).escalated == []
    clock.advance(1)
    assert [c.number for c, _ in (await escalator.sweep()).escalated] == [case.number]
    assert (await escalator.sweep()).escalated == []


async def test_overdue_cases_come_first_in_the_queue_with_a_mark(store, clock):
    normal = await store.open_case(Citizen("console", "n", "n", "老张"), reason="unmatched", priority="normal",
                                   question="疫苗预约", language="zh")
    clock.advance(7201)
    urgent = await urgent_case(store, "fresh")
    desk = OperatorDesk(store, SETTINGS, clock=clock)
    lines = await desk.handle("duty1", "/queue")
    assert lines[1].startswith(desk.say("overdue_mark") + f"#{normal.number} ")
    assert lines[2].startswith(f"#{urgent.number} ")


async def test_relay_shows_an_operator_their_notices_once(store, clock):
    await store.set_on_duty("duty1", True)
    case = await urgent_case(store)
    clock.advance(400)
    await Escalator(store, SETTINGS, clock=clock).sweep()
    desk = OperatorDesk(store, SETTINGS, clock=clock)
    board = Board()
    assert await relay_notices(store, board, desk.render_notice, "duty1") == 1
    assert await relay_notices(store, board, desk.render_notice, "duty1") == 0
    [(to, text)] = board.posts
    assert to == "duty1" and f"#{case.number}" in text and "6分钟" in text and f"/take {case.number}" in text


async def test_relay_to_a_shared_group_posts_an_escalation_once(store, clock):
    await store.set_on_duty("duty1", True)
    await store.set_on_duty("duty2", True)
    case = await urgent_case(store)
    await store.claim(case.number, "duty1")
    await store.transfer(case.number, "duty1", "duty2", "交班")
    other = await urgent_case(store, "u2")
    clock.advance(301)
    await Escalator(store, SETTINGS, clock=clock).sweep()
    board = Board()
    desk = OperatorDesk(store, SETTINGS, clock=clock)
    await relay_notices(store, board, desk.render_notice)
    assert [to for to, _ in board.posts] == ["duty2", None]
    assert f"#{other.number}" in board.posts[1][1]


async def test_resolved_cases_close_after_the_configured_days(store, clock):
    case = await urgent_case(store)
    await store.claim(case.number, "duty1")
    await store.resolve(case.number, "duty1")
    escalator = Escalator(store, SETTINGS, clock=clock)
    clock.advance(7 * 86400 - 1)
    assert (await escalator.sweep()).closed == []
    clock.advance(1)
    assert (await escalator.sweep()).closed == [case.number]
    assert (await escalator.sweep()).closed == []
    closed = await store.get_case(case.number)
    assert (closed.status, closed.closed_at) == ("closed", clock.now)
    assert (await store.events(case.number))[-1].kind == "closed"
    with pytest.raises(CaseError):
        await store.reopen(case.number, "citizen:u1")
