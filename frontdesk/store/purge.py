"""Retention: erase what citizens wrote and who they are from finished cases and old questions, keep the counts.

What goes (for closed or cancelled cases finished more than DAYS ago, and questions logged more than DAYS ago
that belong to no unfinished case): message texts, attachments, citizens' ids, chat ids and names, the case's
question, summary and FAQ draft, free-text event details, outbox texts, and citizens not heard from since.
What stays: every row with its times, decision, intent, entry, score, helpfulness, reason, category,
priority, status, department, operator and the add-to-FAQ mark, so reports over any period still count the
same (a purged case drops out of `faq gaps`: its question is gone).
SQLite's secure_delete is on during the purge and the WAL is checkpointed, so the old texts do not linger
in free pages of the database file.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.clock import DAY
from frontdesk.store.sqlite import SqliteStore

FINISHED = ("closed", "cancelled")


@dataclass(frozen=True)
class PurgeResult:
    """How many rows had personal data erased (or would have, in a dry run)."""

    cases: int
    messages: int
    interactions: int
    outbox: int
    citizens: int
    cutoff: float

    @property
    def total(self) -> int:
        """Return the number of rows changed."""
        return self.cases + self.messages + self.interactions + self.outbox + self.citizens


_ELIGIBLE = """SELECT number FROM cases
               WHERE status IN ('closed', 'cancelled') AND COALESCE(closed_at, cancelled_at, updated_at) <= :cutoff"""

_CASE_HAS_DATA = """(question <> '' OR user_id <> '' OR chat_id <> '' OR display_name <> '' OR summary IS NOT NULL
                     OR faq_draft IS NOT NULL)"""

# Each step: the name its count is reported under (None: not reported), and the erasing statement.
_STEPS = (
    ("cases", f"""UPDATE cases SET question = '', user_id = '', chat_id = '', display_name = '', summary = NULL,
                         faq_draft = NULL
                  WHERE number IN ({_ELIGIBLE}) AND {_CASE_HAS_DATA}"""),
    ("messages", f"""UPDATE case_messages SET text = '', attachment_ref = NULL, attachment_caption = NULL
                     WHERE case_number IN ({_ELIGIBLE})
                       AND (text <> '' OR attachment_ref IS NOT NULL OR attachment_caption IS NOT NULL)"""),
    (None, f"""UPDATE case_events SET detail = NULL
               WHERE case_number IN ({_ELIGIBLE}) AND kind <> 'opened' AND detail IS NOT NULL"""),
    (None, f"UPDATE notices SET detail = NULL WHERE case_number IN ({_ELIGIBLE}) AND detail IS NOT NULL"),
    ("outbox", f"""UPDATE outbox SET text = '', chat_id = '', last_error = NULL
                   WHERE case_number IN ({_ELIGIBLE}) AND status <> 'pending' AND (text <> '' OR chat_id <> '')"""),
    ("interactions", f"""UPDATE interactions SET text = '', user_id = ''
                         WHERE at <= :cutoff AND (text <> '' OR user_id <> '')
                           AND (case_number IS NULL OR case_number IN ({_ELIGIBLE}))"""),
    ("citizens", """DELETE FROM citizens WHERE updated_at <= :cutoff
                    AND NOT EXISTS (SELECT 1 FROM cases c
                                    WHERE c.platform = citizens.platform AND c.user_id = citizens.user_id)
                    AND NOT EXISTS (SELECT 1 FROM interactions i
                                    WHERE i.platform = citizens.platform AND i.user_id = citizens.user_id)"""),
)


class _DryRun(Exception):
    """Raised inside the transaction of a dry run so that everything it did is rolled back."""


async def purge(store: SqliteStore, older_than_days: float, *, dry_run: bool = False,
                now: float | None = None) -> PurgeResult:
    """Erase personal data past the retention period in one transaction; return what was (or would be) erased."""
    if older_than_days < 0:
        raise ValueError("older_than_days must not be negative")
    cutoff = (store.clock() if now is None else now) - older_than_days * DAY
    params = {"cutoff": cutoff}
    counts: dict[str, int] = {}
    if not dry_run:
        async with store._read() as db:
            secure = (await store._one(db, "PRAGMA secure_delete"))[0]
            await db.execute("PRAGMA secure_delete = ON")
    try:
        async with store._write() as db:
            for name, sql in _STEPS:
                cursor = await db.execute(sql, params)
                if name is not None:
                    counts[name] = cursor.rowcount
                await cursor.close()
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        if not dry_run:
            async with store._read() as db:
                await db.execute(f"PRAGMA secure_delete = {int(secure)}")
                await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return PurgeResult(cases=counts["cases"], messages=counts["messages"], interactions=counts["interactions"],
                       outbox=counts["outbox"], citizens=counts["citizens"], cutoff=cutoff)
