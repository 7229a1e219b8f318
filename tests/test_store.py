"""The SQLite case store: connection setup, the citizen side, lifecycle steps and refusals, concurrency."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from frontdesk.cases import CaseError
from frontdesk.clock import ManualClock
from frontdesk.model import Attachment, Citizen
from frontdesk.store import SqliteStore

WANG = Citizen("telegram", "1001", "1001", "王先生", "zh")
ANN = Citizen("telegram", "1002", "1002", "Ann", "en")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(tmp_path, clock):
    async with SqliteStore(tmp_path / "cases.sqlite3", clock=clock) as opened:
        yield opened


async def open_case(store, citizen=WANG, priority="normal", question="明天停水吗？", **kw):
    return await store.open_case(citizen, reason=kw.pop("reason", "unmatched"), priority=priority,
                                 question=question, language=kw.pop("language", "zh"), **kw)


async def test_connection_is_set_up_when_it_opens(store):
    settings = await store.connection_settings()
    assert settings["journal_mode"] == "wal"
    assert settings["foreign_keys"] == 1
    assert settings["synchronous"] == 2  # FULL
    assert settings["busy_timeout"] >= 5000
    assert settings["migrations"] == ["0001_initial", "0002_outbox_retry", "0003_interactions", "0004_case_posts",
                                      "0005_case_faq", "0006_case_post_threads"]
    assert settings["user_version"] == 6


async def test_a_closed_store_refuses_to_work(tmp_path):
    store = SqliteStore(tmp_path / "x.sqlite3")
    with pytest.raises(RuntimeError, match="not open"):
        await store.get_case(1)


async def test_open_case_records_question_event_and_citizen(store, clock):
    case = await open_case(store, message_id="m1", category="water")
    assert case.number == 1 and case.status == "open" and case.priority == "normal"
    assert case.citizen == WANG and case.category == "water" and case.created_at == clock.now
    [line] = await store.messages(case.number)
    assert (line.author, line.text, line.platform_message_id) == ("citizen", "明天停水吗？", "m1")
    [event] = await store.events(case.number)
    assert (event.kind, event.actor, event.at, event.detail) == ("opened", "citizen:1001", clock.now, "unmatched")
    assert (await store.active_case_for("telegram", "1001")).number == case.number
    assert await store.active_case_for("telegram", "9999") is None


async def test_case_numbers_are_small_and_sequential(store):
    first = await open_case(store, WANG)
    second = await open_case(store, ANN)
    assert (first.number, second.number) == (1, 2)


async def test_a_second_handoff_joins_the_active_case_and_raises_its_priority(store):
    first = await open_case(store, priority="normal")
    again = await open_case(store, priority="urgent", question="家里老人晕倒了")
    assert again.number == first.number and again.priority == "urgent"
    assert [m.text for m in await store.messages(first.number)] == ["明天停水吗？", "家里老人晕倒了"]


async def test_duplicate_platform_message_ids_are_stored_once(store):
    case = await open_case(store, message_id="m1")
    assert await store.add_message(case.number, "citizen", "再问一下", platform_message_id="m2") is True
    assert await store.add_message(case.number, "citizen", "再问一下", platform_message_id="m2") is False
    assert await store.add_message(case.number, "citizen", "明天停水吗？", platform_message_id="m1") is False
    # a redelivered update that opened the case joins it without a second line
    assert (await open_case(store, message_id="m1")).number == case.number
    assert [m.platform_message_id for m in await store.messages(case.number)] == ["m1", "m2"]
    # lines without a platform id are never de-duplicated
    assert await store.add_message(case.number, "bot", "收到") is True
    assert await store.add_message(case.number, "bot", "收到") is True


async def test_attachments_and_hostile_text_are_stored_verbatim(store):
    case = await open_case(store, question="'); DROP TABLE cases; --")
    photo = Attachment("photo", "file-123", "门口的积水")
    assert await store.add_message(case.number, "citizen", "", attachment=photo, platform_message_id="p1")
    lines = await store.messages(case.number)
    assert lines[0].text == "'); DROP TABLE cases; --"
    assert lines[1].attachment == photo
    assert (await store.get_case(case.number)).question == "'); DROP TABLE cases; --"


async def test_add_message_to_a_missing_case_is_refused(store):
    with pytest.raises(CaseError) as refused:
        await store.add_message(42, "citizen", "hello")
    assert refused.value.code == "not_found"


async def test_lifecycle_records_every_step_with_who_and_when(store, clock):
    case = await open_case(store)
    clock.advance(60)
    claimed = await store.claim(case.number, "duty1")
    assert (claimed.status, claimed.operator_id, claimed.claimed_at) == ("claimed", "duty1", clock.now)
    clock.advance(10)
    released = await store.release(case.number, "duty1")
    assert (released.status, released.operator_id, released.queued_at) == ("open", None, clock.now)
    clock.advance(10)
    await store.claim(case.number, "duty2")
    clock.advance(10)
    transferred = await store.transfer(case.number, "duty2", "duty1", "懂水务")
    assert transferred.operator_id == "duty1" and transferred.status == "claimed"
    clock.advance(10)
    forwarded = await store.forward(case.number, "duty1", "community", "需社区核实")
    assert (forwarded.status, forwarded.operator_id, forwarded.department) == ("claimed", "duty1", "community")
    clock.advance(10)
    resolved = await store.resolve(case.number, "duty1", "已告知停水时间")
    assert (resolved.status, resolved.summary, resolved.resolved_at) == ("resolved", "已告知停水时间", clock.now)
    steps = [(e.kind, e.actor, e.target, e.detail) for e in await store.events(case.number)]
    assert steps == [
        ("opened", "citizen:1001", None, "unmatched"),
        ("claimed", "duty1", None, "waited 60s"),
        ("released", "duty1", None, None),
        ("claimed", "duty2", None, "waited 10s"),
        ("transferred", "duty2", "duty1", "懂水务"),
        ("forwarded", "duty1", "community", "需社区核实"),
        ("resolved", "duty1", None, "已告知停水时间"),
    ]
    times = [e.at for e in await store.events(case.number)]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert await store.active_case_for(WANG.platform, WANG.user_id) is None


@pytest.mark.parametrize("step", ["release", "transfer", "forward", "resolve", "enqueue"])
async def test_acting_on_a_case_you_do_not_hold_is_refused_and_changes_nothing(store, step):
    case = await open_case(store)
    await store.claim(case.number, "duty1")
    before = await store.events(case.number)
    action = {
        "release": lambda: store.release(case.number, "duty2"),
        "transfer": lambda: store.transfer(case.number, "duty2", "duty3"),
        "forward": lambda: store.forward(case.number, "duty2", "health"),
        "resolve": lambda: store.resolve(case.number, "duty2"),
        "enqueue": lambda: store.enqueue(case.number, "telegram", "1001", "hi", "duty2"),
    }[step]
    with pytest.raises(CaseError) as refused:
        await action()
    assert (refused.value.code, refused.value.holder) == ("not_owner", "duty1")
    assert await store.events(case.number) == before
    assert (await store.get_case(case.number)).operator_id == "duty1"
    assert await store.outbox_items(case.number) == []


async def test_refusals_say_why(store):
    case = await open_case(store)
    with pytest.raises(CaseError) as refused:
        await store.resolve(case.number, "duty1")
    assert (refused.value.code, refused.value.status) == ("bad_state", "open")
    await store.claim(case.number, "duty1")
    with pytest.raises(CaseError) as refused:
        await store.claim(case.number, "duty2")
    assert (refused.value.code, refused.value.holder) == ("taken", "duty1")
    with pytest.raises(CaseError) as refused:
        await store.claim(case.number, "duty1")
    assert refused.value.code == "already_yours"
    await store.resolve(case.number, "duty1")
    with pytest.raises(CaseError) as refused:
        await store.resolve(case.number, "duty1")
    assert (refused.value.code, refused.value.status) == ("bad_state", "resolved")
    with pytest.raises(CaseError) as refused:
        await store.claim(999, "duty1")
    assert refused.value.code == "not_found"
    with pytest.raises(CaseError) as refused:
        await store.transfer(case.number, "duty1", "duty1")
    assert refused.value.code == "same_operator"
    assert [e.kind for e in await store.events(case.number)] == ["opened", "claimed", "resolved"]


async def test_mark_for_faq_on_a_claimed_or_resolved_case_is_recorded_with_who_and_when(store, clock):
    case = await open_case(store)
    assert case.add_to_faq is False and case.faq_draft is None
    await store.claim(case.number, "duty1")
    clock.advance(30)
    marked = await store.mark_for_faq(case.number, "duty1")  # while handling it, without a draft yet
    assert (marked.add_to_faq, marked.faq_draft, marked.status, marked.updated_at) == (True, None, "claimed", clock.now)
    clock.advance(30)
    await store.resolve(case.number, "duty1", "已答复")
    clock.advance(30)
    again = await store.mark_for_faq(case.number, "duty1", "  停水通知请看自来水公司公众号。 ")
    assert (again.add_to_faq, again.faq_draft, again.status) == (True, "停水通知请看自来水公司公众号。", "resolved")
    clock.advance(30)
    kept = await store.mark_for_faq(case.number, "duty1", "")  # no draft: the stored one stays
    assert kept.faq_draft == "停水通知请看自来水公司公众号。"
    assert (await store.get_case(case.number)) == kept
    marks = [(e.actor, e.at, e.detail) for e in await store.events(case.number) if e.kind == "marked_for_faq"]
    assert marks == [("duty1", clock.now - 90, None), ("duty1", clock.now - 30, "停水通知请看自来水公司公众号。"),
                     ("duty1", clock.now, None)]
    assert [e.kind for e in await store.events(case.number)] == [
        "opened", "claimed", "marked_for_faq", "resolved", "marked_for_faq", "marked_for_faq"]


async def test_mark_for_faq_refusals_say_why_and_change_nothing(store):
    waiting = await open_case(store, WANG)
    with pytest.raises(CaseError) as refused:
        await store.mark_for_faq(waiting.number, "duty1")
    assert (refused.value.code, refused.value.status) == ("bad_state", "open")
    held = await open_case(store, ANN)
    await store.claim(held.number, "duty1")
    with pytest.raises(CaseError) as refused:
        await store.mark_for_faq(held.number, "duty2", "插一句")
    assert (refused.value.code, refused.value.holder, refused.value.status) == ("not_owner", "duty1", "claimed")
    await store.resolve(held.number, "duty1")
    with pytest.raises(CaseError) as refused:  # only the resolver, not any operator
        await store.mark_for_faq(held.number, "duty2")
    assert (refused.value.code, refused.value.holder, refused.value.status) == ("not_owner", "duty1", "resolved")
    with pytest.raises(CaseError) as refused:
        await store.mark_for_faq(999, "duty1")
    assert refused.value.code == "not_found"
    for number in (waiting.number, held.number):
        case = await store.get_case(number)
        assert (case.add_to_faq, case.faq_draft) == (False, None)
        assert "marked_for_faq" not in [e.kind for e in await store.events(number)]
    await store.cancel(waiting.number, "citizen:1001")
    with pytest.raises(CaseError) as refused:
        await store.mark_for_faq(waiting.number, "duty1")
    assert (refused.value.code, refused.value.status) == ("bad_state", "cancelled")
    lead = await store.mark_for_faq(held.number, "lead", "supervisor's draft", force=True)
    assert lead.add_to_faq and lead.operator_id == "duty1"  # the resolver stays the case's operator
    assert (await store.events(held.number))[-1].actor == "lead"


async def test_supervisor_force_releases_and_transfers_anyones_case(store):
    case = await open_case(store)
    await store.claim(case.number, "duty1")
    moved = await store.transfer(case.number, "lead", "duty2", "duty1 下班了", force=True)
    assert moved.operator_id == "duty2"
    released = await store.release(case.number, "lead", force=True)
    assert released.status == "open"


async def test_reopen_within_the_window_puts_the_case_back_in_the_queue(store, clock):
    case = await open_case(store)
    await store.claim(case.number, "duty1")
    await store.resolve(case.number, "duty1")
    clock.advance(2 * 86400)
    recent = await store.reopenable_case_for(WANG.platform, WANG.user_id, within_days=3)
    assert recent is not None and recent.number == case.number
    reopened = await store.reopen(case.number, "citizen:1001")
    assert (reopened.status, reopened.operator_id, reopened.queued_at) == ("open", None, clock.now)
    assert (await store.events(case.number))[-1].kind == "reopened"
    [notice] = await store.pop_notices("duty1")
    assert (notice.kind, notice.case.number) == ("reopened", case.number)
    with pytest.raises(CaseError) as refused:
        await store.reopen(case.number, "citizen:1001")
    assert refused.value.code == "bad_state"


async def test_no_reopen_after_the_window(store, clock):
    case = await open_case(store)
    await store.claim(case.number, "duty1")
    await store.resolve(case.number, "duty1")
    clock.advance(3 * 86400 + 1)
    assert await store.reopenable_case_for(WANG.platform, WANG.user_id, within_days=3) is None


async def test_reopen_is_refused_while_the_citizen_has_another_active_case(store):
    case = await open_case(store)
    await store.claim(case.number, "duty1")
    await store.resolve(case.number, "duty1")
    await open_case(store, question="另一个问题")
    with pytest.raises(CaseError) as refused:
        await store.reopen(case.number, "citizen:1001")
    assert refused.value.code == "already_active"


async def test_cancel_withdraws_an_active_case_and_tells_its_operator(store, clock):
    waiting = await open_case(store, WANG)
    cancelled = await store.cancel(waiting.number, "citizen:1001")
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", clock.now)
    assert await store.pop_notices() == []  # nobody held it
    held = await open_case(store, ANN)
    await store.claim(held.number, "duty1")
    await store.cancel(held.number, "citizen:1002")
    [notice] = await store.pop_notices("duty1")
    assert (notice.kind, notice.case.status) == ("cancelled", "cancelled")
    with pytest.raises(CaseError) as refused:
        await store.cancel(held.number, "citizen:1002")
    assert (refused.value.code, refused.value.status) == ("bad_state", "cancelled")
    assert await store.active_case_for(ANN.platform, ANN.user_id) is None


async def test_queue_puts_overdue_first_then_urgent_then_oldest(store, clock):
    old_normal = await open_case(store, Citizen("console", "a", "a"), "normal")
    clock.advance(60)
    high = await open_case(store, Citizen("console", "b", "b"), "high")
    clock.advance(60)
    urgent = await open_case(store, Citizen("console", "c", "c"), "urgent")
    clock.advance(60)
    newer_urgent = await open_case(store, Citizen("console", "d", "d"), "urgent")
    cases, total = await store.queue()
    assert [c.number for c in cases] == [urgent.number, newer_urgent.number, high.number, old_normal.number]
    assert total == 4
    clock.advance(7200)  # everything is overdue now; the normal one has waited longest of the normals
    cases, _ = await store.queue(limit=2)
    assert [c.number for c in cases] == [urgent.number, newer_urgent.number]
    store.claim_limits["normal"] = 60.0
    store.claim_limits["urgent"] = 10 * 86400.0
    store.claim_limits["high"] = 10 * 86400.0
    cases, _ = await store.queue()
    assert cases[0].number == old_normal.number  # the only overdue one comes first
    assert await store.queue_position(old_normal.number) == 1
    assert await store.queue_position(high.number) == 4
    await store.claim(high.number, "duty1")
    assert await store.queue_position(high.number) is None


async def test_fifty_concurrent_claims_on_separate_connections_make_exactly_one_owner(tmp_path):
    path = tmp_path / "race.sqlite3"
    async with SqliteStore(path) as first:
        case = await open_case(first)
    stores = [SqliteStore(path) for _ in range(50)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        results = await asyncio.gather(
            *(s.claim(case.number, f"op{i}") for i, s in enumerate(stores)), return_exceptions=True,
        )
    finally:
        await asyncio.gather(*(s.close() for s in stores))
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    owner = winners[0].operator_id
    assert all(isinstance(r, CaseError) and r.code == "taken" and r.holder == owner for r in losers)
    async with SqliteStore(path) as check:
        assert (await check.get_case(case.number)).operator_id == owner
        assert [e.actor for e in await check.events(case.number) if e.kind == "claimed"] == [owner]


async def test_fifty_concurrent_claims_on_one_connection_make_exactly_one_owner(store):
    case = await open_case(store)
    results = await asyncio.gather(*(store.claim(case.number, f"op{i}") for i in range(50)), return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert sum(isinstance(r, CaseError) and r.code == "taken" for r in results) == 49


async def test_two_stores_on_one_file_see_each_others_writes(tmp_path):
    path = tmp_path / "shared.sqlite3"
    async with SqliteStore(path) as citizen_side, SqliteStore(path) as operator_side:
        case = await open_case(citizen_side)
        await operator_side.claim(case.number, "duty1")
        await operator_side.enqueue(case.number, "telegram", "1001", "您好", "duty1")
        assert (await citizen_side.get_case(case.number)).status == "claimed"
        assert [i.text for i in await citizen_side.outbox_items(case.number)] == ["您好"]


async def test_citizen_messages_since_follows_an_operators_cases(store):
    mine = await open_case(store, WANG)
    other = await open_case(store, ANN)
    await store.claim(mine.number, "duty1")
    cursor = await store.last_message_id()
    await store.add_message(mine.number, "citizen", "还在吗")
    await store.add_message(other.number, "citizen", "hello?")
    await store.add_note(mine.number, "duty1", "查一下")
    news = await store.citizen_messages_since(cursor, "duty1")
    assert [(c.number, m.text) for c, m in news] == [(mine.number, "还在吗")]
    everyone = await store.citizen_messages_since(cursor)
    assert [m.text for _, m in everyone] == ["还在吗", "hello?"]


async def test_interactions_feedback_and_language(store, clock):
    iid = await store.log_interaction(WANG, text="健康码变黄", language="zh", decision="answer", intent=None,
                                      entry_id="health-code-yellow", score=91.5)
    await store.record_feedback(iid, False)
    assert await store.interaction_text(iid) == "健康码变黄"
    assert await store.interaction_text(iid + 1) is None
    [row] = await store.interactions(clock.now - 1, clock.now + 1)
    assert (row.decision, row.entry_id, row.score, row.helpful, row.language) == (
        "answer", "health-code-yellow", 91.5, False, "zh")
    assert await store.citizen_language("telegram", "1001") is None
    await store.set_citizen_language("telegram", "1001", "en")
    assert await store.citizen_language("telegram", "1001") == "en"
    await open_case(store)  # opening a case keeps the chosen language
    assert await store.citizen_language("telegram", "1001") == "en"


async def test_case_posts_map_platform_messages_to_cases(store):
    case = await open_case(store)
    await store.add_case_post(case.number, "telegram", "-100200", "77", "card")
    await store.add_case_post(case.number, "telegram", "-100200", "77", "card")  # idempotent
    assert await store.case_for_post("telegram", "-100200", "77") == case.number
    assert await store.case_for_post("telegram", "-100200", "78") is None


async def test_a_cases_posts_are_listed_oldest_first_with_their_topic_and_pin(store, clock):
    case = await open_case(store)
    other = await open_case(store, Citizen("telegram", "1002", "1002", "Ann"))
    await store.add_case_post(case.number, "telegram", "-100200", "5", "topic", thread_id="5")
    clock.advance(1)
    await store.add_case_post(case.number, "telegram", "-100200", "6", "card", thread_id="5")
    await store.add_case_post(case.number, "telegram", "-100200", "9", "citizen", thread_id="5")
    await store.add_case_post(case.number, "console", "x", "1", "card")
    await store.add_case_post(other.number, "telegram", "-100200", "7", "card")
    await store.set_post_pinned("telegram", "-100200", "6", True)
    posts = await store.case_posts(case.number, "telegram")
    assert [(p.case_number, p.chat_id, p.message_id, p.kind, p.thread_id, p.pinned) for p in posts] == [
        (case.number, "-100200", "5", "topic", "5", False),
        (case.number, "-100200", "6", "card", "5", True),
        (case.number, "-100200", "9", "citizen", "5", False),
    ]
    assert posts[0].created_at < posts[1].created_at
    await store.set_post_pinned("telegram", "-100200", "6", False)
    assert [p.pinned for p in await store.case_posts(case.number, "telegram")] == [False, False, False]
    assert [p.message_id for p in await store.case_posts(other.number, "telegram")] == ["7"]
    assert await store.case_posts(999, "telegram") == []


async def test_on_duty_register(store):
    await store.set_on_duty("duty1", True)
    await store.set_on_duty("duty2", True)
    await store.set_on_duty("duty1", False)
    assert await store.on_duty_operators() == ["duty2"]


async def test_handover_lists_active_cases_with_last_message_and_undelivered_replies(store):
    waiting = await open_case(store, WANG)
    held = await open_case(store, ANN, language="en")
    await store.claim(held.number, "duty1")
    await store.enqueue(held.number, "telegram", "1002", "Which street?", "duty1")
    done = await open_case(store, Citizen("telegram", "1003", "1003"))
    await store.claim(done.number, "duty1")
    await store.resolve(done.number, "duty1")
    items = {i.case.number: i for i in await store.handover()}
    assert set(items) == {waiting.number, held.number}
    assert items[held.number].last_message.text == "Which street?"
    assert (items[held.number].undelivered, items[held.number].failed) == (1, 0)
    assert items[waiting.number].last_message.author == "citizen"


async def test_report_counts_the_period(store, clock):
    start = clock.now
    a = await open_case(store, WANG, reason="unmatched")
    b = await open_case(store, ANN, reason="complaint")
    await open_case(store, Citizen("telegram", "1003", "1003"), reason="unmatched")
    clock.advance(120)
    await store.claim(a.number, "duty1")
    clock.advance(60)
    await store.claim(b.number, "duty2")
    clock.advance(600)
    await store.resolve(a.number, "duty1")
    await store.log_interaction(WANG, text="q", language="zh", decision="answer", intent=None, entry_id="x",
                                score=80.0)
    report = await store.report(start, clock.now + 1)
    assert report.cases_opened == 3 and report.handoffs_by_reason == {"unmatched": 2, "complaint": 1}
    assert sorted(report.claim_seconds) == [120.0, 180.0]
    assert report.resolve_seconds == [780.0]
    assert (report.questions, report.decisions) == (1, {"answer": 1})
    assert (report.open_now, report.claimed_now) == (1, 1)
    assert (await store.report(clock.now + 10, clock.now + 20)).cases_opened == 0


async def test_the_file_is_readable_by_plain_sqlite(tmp_path):
    path = tmp_path / "plain.sqlite3"
    async with SqliteStore(path) as store:
        await open_case(store)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 1
    finally:
        conn.close()


async def test_cases_without_a_card_in_a_chat_are_found_most_urgent_first(store):
    first = await open_case(store)
    carded = await open_case(store, citizen=ANN)
    urgent = await open_case(store, citizen=Citizen("console", "c1", "c1", "Li"), priority="urgent")
    done = await open_case(store, citizen=Citizen("console", "c2", "c2", "Zhao"))
    await store.claim(done.number, "op1")
    await store.resolve(done.number, "op1", "answered")
    await store.add_case_post(carded.number, "telegram", "-100", "7", "card")
    await store.add_case_post(first.number, "telegram", "-100", "8", "citizen")  # a line, not a card
    await store.add_case_post(first.number, "telegram", "-200", "9", "card")     # a card in another group
    assert await store.cases_without_post("telegram", "-100", "card", 10) == [urgent.number, first.number]
    assert await store.cases_without_post("telegram", "-100", "card", 1) == [urgent.number]
