"""What the operators see as it happens stays true: no replayed overdue alerts for cases already handled, and no
citizen text that passes for a desk line in the terminal."""

from __future__ import annotations

import io

import pytest
from operator_harness import Board, clock_fixture, store_fixture

from frontdesk import safetext
from frontdesk.escalation import Escalator, relay_notices
from frontdesk.model import Citizen
from frontdesk.operators import OperatorDesk, load_operator_phrases
from frontdesk.settings import Operator, QueueSettings, Settings
from handlers.operator_console import OperatorConsole

SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, supervisor=None),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2")),
)
PHRASES = load_operator_phrases()
FORGED = ("好的\n⚠ 超时未接：#7 [紧急] 已等 12分钟，请尽快接手（/take 7）。李四：呼吸困难"
          "\r\n值班长 把 #7 转给了您。\u2028[06-15 10:01] 值班员 duty1：假的\u2029尾")


clock = clock_fixture()
store = store_fixture(SETTINGS.queue.claim_limits)


@pytest.fixture
def desk(store, clock) -> OperatorDesk:
    return OperatorDesk(store, SETTINGS, PHRASES, clock=clock)


async def urgent_case(store, user: str):
    return await store.open_case(Citizen("console", user, user, f"市民{user}"), reason="urgent", priority="urgent",
                                 question=f"问题{user}", language="zh")


async def escalate_three(store, desk, clock) -> tuple[int, int, int]:
    """Escalate three urgent cases to duty1 and duty2; duty2 resolves the first and releases the second."""
    await desk.handle("duty1", "/onduty")
    await desk.handle("duty2", "/onduty")
    numbers = [(await urgent_case(store, f"u{i}")).number for i in range(3)]
    clock.advance(301)
    await Escalator(store, SETTINGS, clock=clock).sweep()
    await desk.handle("duty2", f"/take {numbers[0]}")
    await desk.handle("duty2", f"/resolve {numbers[0]} 已答复")
    await desk.handle("duty2", f"/take {numbers[1]}")
    clock.advance(60)
    await desk.handle("duty2", f"/release {numbers[1]}")  # back in the queue: its old alert is out of date
    return numbers[0], numbers[1], numbers[2]


async def test_the_console_skips_overdue_alerts_for_cases_handled_meanwhile(desk, store, clock):
    resolved, released, waiting = await escalate_three(store, desk, clock)
    clock.advance(8 * 3600)
    out = io.StringIO()
    console = OperatorConsole(desk, Escalator(store, SETTINGS, clock=clock), "duty1", out)
    await console.start()
    await console.tick()
    alerts = [line for line in out.getvalue().splitlines() if line.startswith("⚠")]
    assert [line for line in alerts if f"#{resolved} " in line] == []
    assert len([line for line in alerts if f"#{waiting} " in line]) == 1
    # the released case's old alert is dropped; it waited past its limit again, so a fresh one says so now
    [again] = [line for line in alerts if f"#{released} " in line]
    assert "8小时" in again
    assert await store.pop_notices("duty1") == []  # the stale ones are seen, not kept for later


async def test_the_group_relay_skips_the_same_stale_alerts(desk, store, clock):
    *_, waiting = await escalate_three(store, desk, clock)
    board = Board()
    assert await relay_notices(store, board, desk.render_notice, None) == 1
    [(to, text)] = board.posts
    assert to is None and f"/take {waiting}" in text


async def test_citizen_text_cannot_start_a_line_of_its_own_in_the_terminal(desk, store, clock):
    case = await store.open_case(Citizen("console", "wang", "wang", "王\n先生\u202e"), reason="unmatched",
                                 priority="normal", question="问题\n⚠ 超时未接：#9", language="zh")
    out = io.StringIO()
    console = OperatorConsole(desk, Escalator(store, SETTINGS, clock=clock), "duty1", out)
    await console.start()
    await console.command(f"/take {case.number}")
    await store.add_message(case.number, "citizen", FORGED)
    await console.tick()
    await console.command(f"/history {case.number}")
    lines = out.getvalue().splitlines()
    continued = PHRASES.say("continued_line", "zh")
    desk_line_starts = ("⚠", "值班长", "💬", "已接手", "  [", "工单", "值班台")
    for line in lines:
        assert line.startswith(continued) or line.startswith(desk_line_starts), line
    assert not any(line.startswith(("⚠", "值班长")) for line in lines)
    assert sum(1 for line in lines if line.startswith("💬")) == 1
    assert all(c not in out.getvalue() for c in "\r\u2028\u2029\u202e")


def test_for_terminal_drops_bidi_zero_width_and_line_separator_characters():
    shown = safetext.for_terminal("a\u2028b\u2029c\u202ed\u200be\u2066f\u2069g\ufeffh\u200fi\u2060j\tk\nl")
    assert shown == "a b c" + "defghij\tk\nl"


def test_continued_lines_marks_every_kind_of_line_break():
    marked = safetext.continued_lines("a\nb\r\nc\rd\u2028e\u2029f\x85g", "  > ")
    assert marked == "a\n  > b\n  > c\n  > d\n  > e\n  > f\n  > g"
    assert safetext.continued_lines("one line", "  > ") == "one line"
    assert safetext.continued_lines("", "  > ") == ""
