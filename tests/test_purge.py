"""Retention purge: texts and personal details of finished cases go, the counts the reports use stay."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from frontdesk.cli import main
from frontdesk.clock import ManualClock
from frontdesk.model import Citizen
from frontdesk.store import SqliteStore
from frontdesk.store import reports as queries
from frontdesk.store.purge import purge

DAY = 86400.0
START = 1_780_000_000.0
OLD_SECRET = "我叫张三，手机13812345678"
RECENT_SECRET = "我叫李四，手机13987654321"
OPEN_TEXT = "我发高烧，手机13700001111"


def citizen(n: int) -> Citizen:
    return Citizen("telegram", f"user{n}", f"chat{n}", f"市民{n}", "zh")


async def finished_case(store, clock, who: Citizen, question: str, *, cancel: bool = False) -> int:
    """Open a case, answer, resolve and close it (or cancel it), starting at the clock's time."""
    case = await store.open_case(who, reason="unmatched", priority="normal", question=question, language="zh",
                                 category="健康码")
    await store.log_interaction(who, text=question, language="zh", decision="handoff", intent=None, entry_id=None,
                                score=None, case_number=case.number)
    if cancel:
        await store.cancel(case.number, f"citizen:{who.user_id}")
        return case.number
    clock.advance(120)
    await store.claim(case.number, "duty1")
    await store.add_message(case.number, "citizen", f"补充：{question}", platform_message_id=f"p{case.number}")
    reply = await store.enqueue(case.number, who.platform, who.chat_id, f"{who.display_name}您好，已处理。", "duty1")
    await store.mark_delivered(reply.id, "tg-1")
    await store.add_note(case.number, "duty1", f"回访电话 {question}")
    await store.forward(case.number, "duty1", "health", f"市民说：{question}")
    await store.resolve(case.number, "duty1", f"已解决：{question}")
    await store.mark_for_faq(case.number, "duty1", f"草稿：{question}")  # the draft quotes the citizen
    clock.advance(8 * DAY)
    await store.close_resolved(7)
    return case.number


@pytest.fixture
async def db(tmp_path):
    """A store with an old closed case, an old cancelled one, an old open one, a recent closed one and questions."""
    clock = ManualClock(START)
    path = tmp_path / "cases.sqlite3"
    async with SqliteStore(path, clock=clock) as store:
        old_closed = await finished_case(store, clock, citizen(1), OLD_SECRET)
        clock.now = START
        old_cancelled = await finished_case(store, clock, citizen(2), OLD_SECRET + "（撤销）", cancel=True)
        clock.now = START + 60
        old_open = (await store.open_case(citizen(3), reason="urgent", priority="urgent", question=OPEN_TEXT,
                                          language="zh")).number
        answered = await store.log_interaction(citizen(4), text=OLD_SECRET + "？", language="zh", decision="answer",
                                               intent=None, entry_id="health-code-apply", score=92.0)
        await store.record_feedback(answered, False)
        await store.set_citizen_language("telegram", "user9", "en")
        clock.now = START + 50 * DAY
        recent_closed = await finished_case(store, clock, citizen(5), RECENT_SECRET)
        clock.now = START + 60 * DAY
        cases = {"old_closed": old_closed, "old_cancelled": old_cancelled, "old_open": old_open,
                 "recent_closed": recent_closed}
        yield store, clock, path, cases


async def figures(store):
    """Return everything the report counts, for the whole life of the database."""
    span = (START - DAY, START + 70 * DAY)
    report = dataclasses.asdict(await store.report(*span))
    return (report, await queries.questions(store, *span), await queries.cases_opened(store, *span),
            await queries.forwards(store, *span), await queries.entry_counts(store, *span))


async def texts_of(store, number):
    case = await store.get_case(number)
    lines = [m.text for m in await store.messages(number)]
    return case, lines


async def test_purge_keeps_the_counts_and_removes_the_texts(db):
    store, _, _, cases = db
    before = await figures(store)
    result = await purge(store, 30)
    assert (result.cases, result.interactions) == (2, 3)  # the old closed and cancelled cases; their 2 questions + 1
    assert result.messages == 5 and result.outbox == 1 and result.citizens == 3  # citizens 1, 2 and user9
    assert await figures(store) == before

    for name in ("old_closed", "old_cancelled"):
        case, lines = await texts_of(store, cases[name])
        assert case.question == "" and case.summary is None
        assert (case.citizen.user_id, case.citizen.chat_id, case.citizen.display_name) == ("", "", "")
        assert set(lines) == {""}
        assert case.category == "健康码" and case.status in ("closed", "cancelled")
    events = await store.events(cases["old_closed"])
    assert [e.kind for e in events] == ["opened", "claimed", "forwarded", "resolved", "marked_for_faq", "closed"]
    assert all(e.detail is None for e in events if e.kind != "opened") and events[2].target == "health"
    assert [o.text for o in await store.outbox_items(cases["old_closed"])] == [""]

    case, lines = await texts_of(store, cases["old_open"])  # still being handled: untouched
    assert case.question == OPEN_TEXT and lines == [OPEN_TEXT]
    case, lines = await texts_of(store, cases["recent_closed"])  # within the retention period: untouched
    assert case.question == RECENT_SECRET and RECENT_SECRET in lines
    assert await store.citizen_language("telegram", "user9") is None  # not heard from since: forgotten

    again = await purge(store, 30)
    assert again.total == 0


async def test_the_faq_draft_of_a_purged_case_goes_and_the_case_leaves_faq_gaps(db):
    store, _, _, cases = db
    span = (START - DAY, START + 70 * DAY)
    before = {s.case_number: s.draft for s in await queries.faq_suggestions(store, *span)}
    assert before == {cases["old_closed"]: "草稿：" + OLD_SECRET, cases["recent_closed"]: "草稿：" + RECENT_SECRET}
    await purge(store, 30)
    old = await store.get_case(cases["old_closed"])
    assert (old.add_to_faq, old.faq_draft) == (True, None)  # the mark is a code and stays; its text goes
    [mark] = [e for e in await store.events(cases["old_closed"]) if e.kind == "marked_for_faq"]
    assert (mark.actor, mark.detail) == ("duty1", None)
    recent = await store.get_case(cases["recent_closed"])
    assert recent.faq_draft == "草稿：" + RECENT_SECRET  # within the retention period: untouched
    after = {s.case_number: s.draft for s in await queries.faq_suggestions(store, *span)}
    assert after == {cases["recent_closed"]: "草稿：" + RECENT_SECRET}


async def test_no_trace_of_the_texts_is_left_in_the_database_file(db):
    store, _, path, _ = db
    async with store._read() as connection:  # as on SQLite builds where secure_delete is off by default
        await connection.execute("PRAGMA secure_delete = OFF")
    await purge(store, 30)
    async with store._read() as connection:
        assert (await store._one(connection, "PRAGMA secure_delete"))[0] == 0  # restored afterwards
    await store.close()
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert OLD_SECRET.encode() not in raw and b"13812345678" not in raw
    assert RECENT_SECRET.encode() in raw and OPEN_TEXT.encode() in raw  # kept data is found: the search works


async def test_dry_run_counts_without_changing_anything(db):
    store, _, _, cases = db
    before = await texts_of(store, cases["old_closed"])
    counted = await purge(store, 30, dry_run=True)
    assert await texts_of(store, cases["old_closed"]) == before
    assert await purge(store, 30) == counted


async def test_a_longer_retention_keeps_more(db):
    store, *_ = db
    assert (await purge(store, 100)).total == 0
    assert (await purge(store, 0)).cases == 3  # now even the recent closed case goes, never the open one


def test_cli_purge(tmp_path, capsys):
    path = tmp_path / "cli.sqlite3"

    async def seed():
        clock = ManualClock(START)
        async with SqliteStore(path, clock=clock) as store:
            await finished_case(store, clock, citizen(1), OLD_SECRET)

    asyncio.run(seed())
    assert main(["purge", "--older-than", "30", "--db", str(path), "--dry-run"]) == 0
    assert "would erase personal data older than" in capsys.readouterr().out
    assert main(["purge", "--older-than", "30", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "erased personal data older than" in out
    assert ": 1 case(s), 4 case message(s), 1 question(s), 1 sent repl(ies)" in out
    assert main(["purge", "--older-than", "30", "--db", str(tmp_path / "none.sqlite3")]) == 2
