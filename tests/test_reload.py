"""Live reload under a running desk: good edits apply within a poll or two, broken ones are refused."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest

from frontdesk.desk import Desk
from frontdesk.knowledge import KnowledgeBase
from frontdesk.model import Citizen, IncomingMessage
from frontdesk.phrases import Phrasebook
from frontdesk.reload import KnowledgeWatcher, reload_now, signature
from frontdesk.settings import load_settings
from frontdesk.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent
FAQ = """\
version: 1
entries:
  - id: testing-sites
    category: 核酸检测
    questions:
      - 核酸检测点在哪里
      - Where can I get a PCR test?
    answer:
      zh: 全区共有42个核酸检测点。
      en: There are 42 testing sites.
  - id: fever-clinic
    category: 就医
    questions:
      - 发热门诊在哪里
      - Where is the fever clinic?
    answer:
      zh: 区人民医院发热门诊24小时开放。
      en: The fever clinic is open 24/7.
  - id: booster-weekend
    category: 疫苗
    questions:
      - 周末可以打加强针吗
      - Can I get a booster at the weekend?
    answer:
      zh: 本周末各接种点照常开放。
      en: Vaccination sites are open this weekend.
    valid_until: {today}
"""
POLL = 0.02


class Recorder:
    """Collects what the watcher reports, and lets a test wait for the next report."""

    def __init__(self) -> None:
        self.reloads: list = []
        self.problems: list = []
        self.event = asyncio.Event()

    async def on_reload(self, knowledge) -> None:
        self.reloads.append(knowledge)
        self.event.set()

    async def on_problem(self, problems) -> None:
        self.problems.append(problems)
        self.event.set()

    async def next(self) -> None:
        await asyncio.wait_for(self.event.wait(), timeout=5)
        self.event.clear()


@pytest.fixture
async def desk(tmp_path):
    faq = tmp_path / "faq.yaml"
    faq.write_text(FAQ.format(today=dt.date.today().isoformat()), encoding="utf-8")
    settings = dataclasses.replace(load_settings(ROOT / "settings.yaml", environ={}), faq_path=faq,
                                   db_path=tmp_path / "desk.sqlite3")
    store = SqliteStore(settings.db_path)
    await store.open()
    kb = KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths)
    yield Desk(kb, store, settings)
    await store.close()


_seq = iter(range(1, 10**6))


async def ask(desk: Desk, question: str):
    n = next(_seq)
    replies = await desk.handle(IncomingMessage(Citizen("console", f"u{n}", f"u{n}", "市民"), text=question,
                                                message_id=f"m{n}"))
    return replies[0]


def edit(path: Path, old: str, new: str) -> None:
    """Save an edit the way an editor does, making sure the file's modification time moves."""
    before = path.stat().st_mtime_ns
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


async def test_good_edit_is_applied_and_broken_edit_refused_while_the_desk_runs(desk):
    recorder = Recorder()
    watcher = KnowledgeWatcher(desk.knowledge, on_reload=recorder.on_reload, on_problem=recorder.on_problem,
                               interval=POLL)
    watcher.start()
    try:
        assert (await ask(desk, "核酸检测点在哪里")).text == "全区共有42个核酸检测点。"

        edit(desk.knowledge.faq_path, "全区共有42个核酸检测点。", "全区共有45个核酸检测点，周日照常开放。")
        await recorder.next()
        assert len(recorder.reloads) == 1 and not recorder.problems
        assert (await ask(desk, "核酸检测点在哪里")).text == "全区共有45个核酸检测点，周日照常开放。"

        edit(desk.knowledge.faq_path, "  - id: fever-clinic\n    category: 就医",
             "  - id: fever-clinic\n     category: 就医")  # a broken indent
        await recorder.next()
        [problems] = recorder.problems
        assert [str(p) for p in problems] == [
            f"{desk.knowledge.faq_path}:12: (syntax): YAML syntax error: mapping values are not allowed here"]
        reply = await ask(desk, "核酸检测点在哪里")  # the last good FAQ still answers
        assert reply.kind == "answer" and reply.text == "全区共有45个核酸检测点，周日照常开放。"
        assert (await ask(desk, "发热门诊在哪里")).entry_id == "fever-clinic"

        edit(desk.knowledge.faq_path, "     category: 就医", "    category: 就医")
        await recorder.next()
        assert len(recorder.reloads) == 2 and len(recorder.problems) == 1
    finally:
        await watcher.stop()


async def test_a_broken_phrase_file_is_refused_too(desk, tmp_path):
    messages = tmp_path / "messages.yaml"
    messages.write_text(desk.knowledge.messages_paths[0].read_text(encoding="utf-8"), encoding="utf-8")
    kb = KnowledgeBase(desk.knowledge.faq_path, desk.knowledge.intents_path, (messages,))
    recorder = Recorder()
    watcher = KnowledgeWatcher(kb, on_reload=recorder.on_reload, on_problem=recorder.on_problem, interval=POLL)
    before = kb.current
    edit(messages, "  welcome:\n    zh:", "  welcome:\n    zz:")
    assert not await watcher.check()  # the first poll sees a change and waits for the save to settle
    assert not await watcher.check()
    [problems] = recorder.problems
    assert any(p.field == "messages.welcome.zh" and "missing" in p.message for p in problems)
    assert kb.current is before


async def test_expired_entries_stop_being_answered_when_the_day_changes(desk):
    today = dt.date.today()
    days = iter([today, today + dt.timedelta(days=1)])
    day = next(days)
    recorder = Recorder()
    watcher = KnowledgeWatcher(desk.knowledge, on_reload=recorder.on_reload, on_problem=recorder.on_problem,
                               interval=POLL, today=lambda: day)
    assert (await ask(desk, "周末可以打加强针吗")).entry_id == "booster-weekend"  # valid_until is today
    assert not await watcher.check()
    day = next(days)
    assert await watcher.check()
    assert desk.knowledge.current.faq.get("booster-weekend") is None
    reply = await ask(desk, "周末可以打加强针吗")
    assert reply.entry_id != "booster-weekend" and reply.kind != "answer"


async def test_expired_entries_go_even_while_the_file_is_broken(desk):
    day = dt.date.today()
    recorder = Recorder()
    watcher = KnowledgeWatcher(desk.knowledge, on_reload=recorder.on_reload, on_problem=recorder.on_problem,
                               interval=POLL, today=lambda: day)
    edit(desk.knowledge.faq_path, "version: 1", "version: 2")
    await watcher.check()
    await watcher.check()
    assert len(recorder.problems) == 1 and desk.knowledge.current.faq.get("booster-weekend") is not None
    day = day + dt.timedelta(days=1)
    assert not await watcher.check()
    assert len(recorder.problems) == 2  # told again on the new day: the file is still broken
    assert desk.knowledge.current.faq.get("booster-weekend") is None
    assert desk.knowledge.current.faq.get("fever-clinic") is not None


async def test_reload_now_for_the_operators_reload_command(desk):
    message = await reload_now(desk.knowledge)
    assert message == "Reloaded the FAQ, intents and messages: 3 FAQ entries in use."
    edit(desk.knowledge.faq_path, "  - id: fever-clinic", "  - id: Fever Clinic")
    message = await reload_now(desk.knowledge)
    assert message.startswith("The edit was refused; the bot keeps answering with the last good FAQ (3 entries).")
    assert f"{desk.knowledge.faq_path}:11: entries[1] (id Fever Clinic).id: use only lowercase" in message
    phrases = Phrasebook({"reload_refused": {"zh": "已拒绝：{problems}（仍使用{entries}条）", "en": "-"}})
    assert (await reload_now(desk.knowledge, phrases)).startswith("已拒绝：")
    # the watcher does not report the same edit a second time
    recorder = Recorder()
    watcher = KnowledgeWatcher(desk.knowledge, on_reload=recorder.on_reload, on_problem=recorder.on_problem)
    assert not await watcher.check() and not await watcher.check()
    assert recorder.problems == [] and recorder.reloads == []


def test_signature_notices_content_changes_and_missing_files(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a", encoding="utf-8")
    first = signature((path, tmp_path / "missing.yaml"))
    assert first[1] is None
    edit(path, "a", "ab")
    assert signature((path, tmp_path / "missing.yaml")) != first
