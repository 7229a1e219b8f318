"""The operators' console desk through its entry point: commands from a pipe, live citizen lines and alerts."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import subprocess
import sys
from pathlib import Path

from frontdesk.clock import ManualClock
from frontdesk.model import Citizen
from frontdesk.operators import load_operator_phrases
from frontdesk.settings import Operator, QueueSettings, Settings
from frontdesk.store import SqliteStore
from handlers.operator_console import run_operator_console

ROOT = Path(__file__).resolve().parent.parent
PHRASES = load_operator_phrases()
SETTINGS = Settings(
    queue=QueueSettings(claim_limits={"urgent": 300.0, "high": 1800.0, "normal": 7200.0}, supervisor=None),
    operators=(Operator("duty1", "值班员一 / Duty 1"), Operator("duty2", "值班员二 / Duty 2")),
)


def say(key: str, **fields) -> str:
    return PHRASES.say(key, "zh", **fields)


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_non_operator_is_turned_away(tmp_path):
    out = io.StringIO()
    code = await run_operator_console(SETTINGS, tmp_path / "x.sqlite3", "mallory", io.StringIO("/queue\n"), out)
    assert code == 2
    assert out.getvalue().strip() == say("not_operator", operator="mallory")
    assert not (tmp_path / "x.sqlite3").exists()  # nothing was even opened


async def test_piped_commands_run_in_order_and_the_desk_exits_at_end_of_input(tmp_path):
    path = tmp_path / "desk.sqlite3"
    async with SqliteStore(path) as store:
        case = await store.open_case(Citizen("console", "wang", "wang", "王先生"), reason="unmatched",
                                     priority="normal", question="明天停水吗", language="zh")
    out = io.StringIO()
    commands = io.StringIO(f"/queue\n/take {case.number}\n/reply 请问哪个小区？\n/mine\n")
    assert await run_operator_console(SETTINGS, path, "duty1", commands, out, poll_seconds=0.05) == 0
    text = out.getvalue()
    assert text.startswith(say("console_welcome", name="值班员一", operator="duty1", duty=say("console_off_duty")))
    assert f"#{case.number} [一般]" in text
    assert f"已接手 #{case.number}（王先生" in text
    assert say("replied", case=f"#{case.number}") in text
    assert say("mine_header", count=1) in text
    async with SqliteStore(path) as store:
        assert (await store.outbox_items(case.number))[-1].text == "请问哪个小区？"


async def test_new_citizen_lines_and_escalations_appear_while_waiting(tmp_path):
    path = tmp_path / "live.sqlite3"
    clock = ManualClock()
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r", encoding="utf-8")
    commands = os.fdopen(write_end, "w", encoding="utf-8")
    out = io.StringIO()
    async with SqliteStore(path, clock=clock) as store:
        mine = await store.open_case(Citizen("console", "wang", "wang", "王先生"), reason="unmatched",
                                     priority="normal", question="明天停水吗", language="zh")
        desk = asyncio.create_task(
            run_operator_console(SETTINGS, path, "duty1", stdin, out, poll_seconds=0.05, clock=clock))
        commands.write(f"/onduty\n/take {mine.number}\n")
        commands.flush()
        await wait_for(lambda: f"已接手 #{mine.number}" in out.getvalue())
        await store.add_message(mine.number, "citizen", "是阳光小区")
        await wait_for(lambda: say("citizen_message", case=f"#{mine.number}", name="王先生", text="是阳光小区")
                       in out.getvalue())
        urgent = await store.open_case(Citizen("console", "li", "li", "李女士"), reason="urgent",
                                       priority="urgent", question="学校里很多学生发烧", language="zh")
        clock.advance(301)
        await wait_for(lambda: f"⚠ 超时未接：#{urgent.number}" in out.getvalue())
        await asyncio.sleep(0.2)
        commands.close()
        assert await asyncio.wait_for(desk, 5) == 0
        assert out.getvalue().count(f"⚠ 超时未接：#{urgent.number}") == 1  # escalated and shown once
        assert out.getvalue().count("是阳光小区") == 1
    stdin.close()


FAQ = """\
version: 1
entries:
  - id: water-outage
    questions: [停水通知在哪里看]
    answer: {zh: 停水通知请查看自来水公司公众号。, en: See the water company's account.}
"""


async def test_the_desk_loads_the_faq_and_reload_reads_it_again(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ, encoding="utf-8")
    path = tmp_path / "kb.sqlite3"
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r", encoding="utf-8")
    commands = os.fdopen(write_end, "w", encoding="utf-8")
    out = io.StringIO()
    async with SqliteStore(path) as store:
        case = await store.open_case(Citizen("console", "wang", "wang", "王先生"), reason="unmatched",
                                     priority="normal", question="明天停水吗", language="zh")
        desk = asyncio.create_task(run_operator_console(dataclasses.replace(SETTINGS, faq_path=faq), path, "duty1",
                                                        stdin, out, poll_seconds=0.05))
        commands.write(f"/take {case.number}\n/faq water-outage\n")
        commands.flush()
        await wait_for(lambda: say("faq_sent", entry="water-outage", lang_name="中文", case=f"#{case.number}")
                       in out.getvalue())
        faq.write_text(FAQ.replace("公众号。", "公众号或拨打 96116。"), encoding="utf-8")  # edited while it runs
        commands.write("/reload\n/faq water-outage\n")
        commands.close()
        assert await asyncio.wait_for(desk, 5) == 0
        assert say("reload_done", entries=1) in out.getvalue()
        assert [i.text for i in await store.outbox_items(case.number)][-2:] == [
            "停水通知请查看自来水公司公众号。", "停水通知请查看自来水公司公众号或拨打 96116。"]
    stdin.close()


async def test_a_broken_faq_does_not_stop_the_desk(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ.replace("  - id: water-outage", "  - id: Water Outage"), encoding="utf-8")
    out = io.StringIO()
    code = await run_operator_console(dataclasses.replace(SETTINGS, faq_path=faq), tmp_path / "b.sqlite3", "duty1",
                                      io.StringIO("/reload\n/queue\n"), out, poll_seconds=0.05)
    assert code == 0
    text = out.getvalue()
    assert say("console_no_knowledge") in text and f"{faq}:3: entries[0] (id Water Outage).id:" in text
    assert say("reload_unavailable") in text and say("queue_empty") in text


def test_the_module_entry_point_runs_the_desk(tmp_path):
    path = tmp_path / "cli.sqlite3"
    settings = tmp_path / "settings.yaml"
    settings.write_text("version: 1\noperators:\n  - id: duty1\n    name: 值班员一 / Duty 1\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "handlers.operator_console", "--as", "duty1", "--db", str(path)],
        input="/queue\n/stats\n", capture_output=True, text=True, timeout=30, cwd=ROOT,
        env={**os.environ, "FRONTDESK_SETTINGS": str(settings), "PYTHONIOENCODING": "utf-8"},
    )
    assert result.returncode == 0, result.stderr
    assert say("queue_empty") in result.stdout
    assert "今日统计" in result.stdout
