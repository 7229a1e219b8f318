"""Schema migrations: named, ordered, recorded; an old database file upgrades in place and keeps its data."""

from __future__ import annotations

import sqlite3

import aiosqlite
import pytest

from frontdesk.clock import ManualClock
from frontdesk.model import Citizen
from frontdesk.outbox import OutboxWorker
from frontdesk.store import SchemaError, SqliteStore, reports
from frontdesk.store.migrations import MIGRATIONS
from frontdesk.store.sqlite import applied_migrations, migrate


class Recorder:
    """A working sender that remembers what it delivered."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    async def send(self, chat_id: str, text: str) -> str:
        self.sent.append((chat_id, text))
        return f"m{len(self.sent)}"


async def make_old_database(path, upto: int) -> None:
    """Create a database as the frontdesk of migration `upto` left it."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await migrate(db, MIGRATIONS[:upto])


def test_migration_names_are_unique_and_ordered():
    names = [m.name for m in MIGRATIONS]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert all(name[:4].isdigit() and name[4] == "_" for name in names)


async def test_a_new_file_gets_every_migration_once(tmp_path):
    path = tmp_path / "new.sqlite3"
    async with SqliteStore(path):
        pass
    async with SqliteStore(path):  # opening again applies nothing twice
        pass
    assert applied_migrations(path) == [m.name for m in MIGRATIONS]


async def test_a_database_from_the_first_schema_upgrades_in_place_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    await make_old_database(path, 1)
    # the 0001-era code wrote a case, its log and a pending reply (no retry columns existed then)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("""INSERT INTO cases (platform, user_id, chat_id, display_name, language, reason, priority,
                            status, question, operator_id, created_at, updated_at, queued_at, claimed_at)
                        VALUES ('telegram', '7', '7', '李女士', 'zh', 'unmatched', 'normal', 'claimed', '疫苗在哪打',
                                'duty1', 100, 100, 100, 110)""")
        conn.execute("""INSERT INTO case_messages (case_number, author, text, created_at, platform_message_id)
                        VALUES (1, 'citizen', '疫苗在哪打', 100, 'u1')""")
        conn.execute("""INSERT INTO case_messages (case_number, author, text, operator_id, created_at)
                        VALUES (1, 'operator', '社区卫生服务中心', 'duty1', 120)""")
        conn.execute("""INSERT INTO outbox (case_number, message_id, platform, chat_id, text, author_operator,
                            status, created_at)
                        VALUES (1, 2, 'telegram', '7', '社区卫生服务中心', 'duty1', 'pending', 120)""")
    conn.close()
    assert applied_migrations(path) == ["0001_initial"]

    clock = ManualClock(1000.0)
    async with SqliteStore(path, clock=clock) as store:
        assert (await store.connection_settings())["migrations"] == [m.name for m in MIGRATIONS]
        case = await store.get_case(1)
        assert (case.status, case.operator_id, case.citizen.display_name) == ("claimed", "duty1", "李女士")
        assert [m.text for m in await store.messages(1)] == ["疫苗在哪打", "社区卫生服务中心"]
        # the pending reply from before the upgrade is delivered by today's worker
        sender = Recorder()
        assert await OutboxWorker(store, {"telegram": sender}, clock=clock).run_once() == 1
        assert sender.sent == [("7", "社区卫生服务中心")]
        [item] = await store.outbox_items(1)
        assert (item.status, item.attempts, item.platform_message_id) == ("delivered", 1, "m1")
        # the tables later migrations added work on the upgraded file
        iid = await store.log_interaction(Citizen("telegram", "7", "7"), text="q", language="zh", decision="answer",
                                          intent=None, entry_id=None, score=None, case_number=1)
        assert await store.interaction_text(iid) == "q"
        await store.add_case_post(1, "telegram", "-1", "5", "card")
        assert await store.case_for_post("telegram", "-1", "5") == 1
        assert await store.add_message(1, "citizen", "谢谢", platform_message_id="u1") is False  # still unique
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


@pytest.mark.parametrize("upto", range(1, len(MIGRATIONS)))
async def test_every_earlier_schema_upgrades(tmp_path, upto):
    path = tmp_path / f"v{upto}.sqlite3"
    await make_old_database(path, upto)
    async with SqliteStore(path) as store:
        case = await store.open_case(Citizen("console", "u", "u"), reason="requested", priority="high",
                                     question="人工", language="zh")
        await store.claim(case.number, "duty1")
        await store.enqueue(case.number, "console", "u", "您好", "duty1")
        assert len(await store.claim_due(("console",))) == 1
        assert (await store.mark_for_faq(case.number, "duty1")).add_to_faq is True
    assert applied_migrations(path) == [m.name for m in MIGRATIONS]


async def test_a_database_from_before_the_faq_flag_upgrades_and_keeps_its_data_and_faq_marks(tmp_path):
    path = tmp_path / "0004.sqlite3"
    await make_old_database(path, 4)
    # the 0004-era code: resolved cases, two marked "add to FAQ" the old way (a note starting #faq), an open case
    conn = sqlite3.connect(path)
    with conn:
        for number, (user, question, status, operator) in enumerate((
                ("7", "周日采样点开门吗", "resolved", "duty1"), ("8", "游泳馆开了吗", "resolved", "duty2"),
                ("9", "疫苗在哪打", "resolved", "duty1"), ("10", "发烧怎么办", "open", None)), 1):
            conn.execute("""INSERT INTO cases (platform, user_id, chat_id, display_name, language, reason, priority,
                                status, question, operator_id, summary, created_at, updated_at, queued_at,
                                resolved_at)
                            VALUES ('telegram', ?, ?, '市民', 'zh', 'unmatched', 'normal', ?, ?, ?, ?, 100, 300, 100,
                                    ?)""",
                         (user, user, status, question, operator, "已答复" if operator else None,
                          200 if operator else None))
            conn.execute("""INSERT INTO case_messages (case_number, author, text, created_at)
                            VALUES (?, 'citizen', ?, 100)""", (number, question))
        conn.executemany("""INSERT INTO case_messages (case_number, author, text, operator_id, created_at)
                            VALUES (?, ?, ?, ?, ?)""", [
            (1, "operator", "周日照常开放。", "duty1", 150),
            (1, "note", "#faq", "duty1", 210),
            (2, "operator", "已于周一重新开放。", "duty2", 150),
            (2, "note", "#FAQ：游泳馆已于本周一重新开放。", "duty2", 220),
            (3, "note", "市民很满意 #faq", "duty1", 230),  # not at the start: never was a mark
        ])
        conn.execute("""INSERT INTO interactions (at, platform, user_id, language, text, decision, case_number)
                        VALUES (100, 'telegram', '7', 'zh', '周日采样点开门吗', 'handoff', 1)""")
        conn.execute("INSERT INTO case_posts VALUES ('telegram', '-1', '55', 1, 'card', 100)")
    conn.close()
    assert applied_migrations(path) == [m.name for m in MIGRATIONS[:4]]

    async with SqliteStore(path, clock=ManualClock(1000.0)) as store:
        assert (await store.connection_settings())["user_version"] == len(MIGRATIONS)
        first, second, third, waiting = [await store.get_case(n) for n in (1, 2, 3, 4)]
        assert (first.question, first.status, first.operator_id, first.summary) == (
            "周日采样点开门吗", "resolved", "duty1", "已答复")
        assert (first.add_to_faq, first.faq_draft) == (True, None)  # the last reply will be the draft
        assert (second.add_to_faq, second.faq_draft) == (True, "游泳馆已于本周一重新开放。")
        assert (third.add_to_faq, waiting.add_to_faq, waiting.faq_draft) == (False, False, None)
        assert [m.text for m in await store.messages(1)] == ["周日采样点开门吗", "周日照常开放。", "#faq"]
        assert [(e.kind, e.actor, e.at) for e in await store.events(2)] == [("marked_for_faq", "duty2", 220.0)]
        assert await store.case_for_post("telegram", "-1", "55") == 1
        assert [i.text for i in await store.interactions(0, 2000)] == ["周日采样点开门吗"]
        suggestions = await reports.faq_suggestions(store, 0, 2000)
        assert [(s.case_number, s.operator_id, s.marked_at, s.draft) for s in suggestions] == [
            (1, "duty1", 210.0, "周日照常开放。"), (2, "duty2", 220.0, "游泳馆已于本周一重新开放。")]
        marked = await store.mark_for_faq(3, "duty1", "各社区卫生服务中心。")  # new marks work on the old file
        assert (marked.add_to_faq, marked.faq_draft, marked.updated_at) == (True, "各社区卫生服务中心。", 1000.0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()


async def test_a_database_from_before_post_threads_upgrades_with_topics_and_pins_carried_over(tmp_path):
    path = tmp_path / "0005.sqlite3"
    await make_old_database(path, 5)
    # the 0005-era bot: an urgent open case in a forum topic (its topic post's id is the thread), a resolved
    # normal case in the main chat, and a second card the old bot posted for case 1 after a restart
    conn = sqlite3.connect(path)
    with conn:
        for user, priority, status in (("7", "urgent", "open"), ("8", "normal", "resolved")):
            conn.execute("""INSERT INTO cases (platform, user_id, chat_id, language, reason, priority, status,
                                question, created_at, updated_at, queued_at)
                            VALUES ('telegram', ?, ?, 'zh', 'urgent', ?, ?, '发烧', 100, 100, 100)""",
                         (user, user, priority, status))
        conn.executemany("INSERT INTO case_posts VALUES ('telegram', '-1', ?, ?, ?, ?)", [
            ("10", 1, "topic", 100), ("11", 1, "card", 100), ("12", 1, "citizen", 101),
            ("20", 2, "card", 102), ("30", 1, "card", 200),
        ])
    conn.close()

    async with SqliteStore(path, clock=ManualClock(1000.0)) as store:
        posts = await store.case_posts(1, "telegram")
        assert [(p.message_id, p.kind, p.thread_id, p.pinned) for p in posts] == [
            ("10", "topic", "10", False), ("11", "card", "10", True), ("12", "citizen", "10", False),
            ("30", "card", "10", True)]
        [card] = await store.case_posts(2, "telegram")
        assert (card.message_id, card.thread_id, card.pinned) == ("20", None, False)
        assert await store.case_for_post("telegram", "-1", "12") == 1
        await store.add_case_post(2, "telegram", "-1", "21", "reply", thread_id="7")  # new posts work on it
        assert [p.thread_id for p in await store.case_posts(2, "telegram")] == [None, "7"]
    assert applied_migrations(path) == [m.name for m in MIGRATIONS]


async def test_a_database_from_a_newer_frontdesk_is_refused(tmp_path):
    path = tmp_path / "future.sqlite3"
    async with SqliteStore(path):
        pass
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO schema_migrations (name, applied_at) VALUES ('0099_from_the_future', 0)")
    conn.close()
    with pytest.raises(SchemaError, match="0099_from_the_future"):
        await SqliteStore(path).open()


async def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path):
    from frontdesk.store.migrations import Migration

    path = tmp_path / "broken.sqlite3"
    broken = (*MIGRATIONS, Migration("0099_broken", ("CREATE TABLE extra (x)", "THIS IS NOT SQL")))
    async with aiosqlite.connect(path, isolation_level=None) as db:
        with pytest.raises(sqlite3.OperationalError):
            await migrate(db, broken)
    assert applied_migrations(path) == [m.name for m in MIGRATIONS]
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchone() is None
    finally:
        conn.close()
