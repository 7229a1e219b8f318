"""The case store on one SQLite file (aiosqlite): the embedded default behind the store protocols.

Every method is one short transaction on this store's single connection. Several processes (the citizen
console, operator desks, the Telegram bot) may open the same file: WAL lets readers and the one writer of
the moment work together, `busy_timeout` makes a second writer wait its turn, and every read-modify-write
starts with BEGIN IMMEDIATE so it takes the write lock before it reads. Durability is synchronous=FULL:
a commit is on disk before the call returns, so an acknowledged case, message or outbox item survives
kill -9 and a power cut alike (NORMAL-with-WAL survives kill -9 but can lose the last commits on power
loss; at a hotline's few writes per second the fsync costs nothing that matters).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from frontdesk.cases import (
    AUTHORS,
    PRIORITIES,
    Case,
    CaseError,
    CaseEvent,
    CaseMessage,
    CasePost,
    CitizenNotice,
    DayReport,
    HandoverItem,
    Interaction,
    Notice,
    OutboxItem,
)
from frontdesk.clock import Clock
from frontdesk.model import Attachment, Citizen
from frontdesk.store.migrations import MIGRATIONS, Migration

DAY = 86400.0
DEFAULT_CLAIM_LIMITS = {"urgent": 300.0, "high": 1800.0, "normal": 7200.0}
_RANK = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END"
_DUE = "(queued_at + CASE priority WHEN 'urgent' THEN :urgent WHEN 'high' THEN :high ELSE :normal END)"
# The queue order everywhere: overdue first, then urgent before high before normal, then oldest.
_QUEUE_ORDER = f"({_DUE} <= :now) DESC, {_RANK}, created_at, number"


class SchemaError(Exception):
    """The database file cannot be used by this version of frontdesk."""


def _case(row: sqlite3.Row) -> Case:
    return Case(
        number=row["number"],
        citizen=Citizen(row["platform"], row["user_id"], row["chat_id"], row["display_name"],
                        row["citizen_language"]),
        reason=row["reason"],
        priority=row["priority"],
        status=row["status"],
        question=row["question"],
        language=row["language"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        category=row["category"],
        operator_id=row["operator_id"],
        department=row["department"],
        claimed_at=row["claimed_at"],
        resolved_at=row["resolved_at"],
        escalated_at=row["escalated_at"],
        summary=row["summary"],
        citizen_blocked=bool(row["citizen_blocked"]),
        queued_at=row["queued_at"],
        cancelled_at=row["cancelled_at"],
        closed_at=row["closed_at"],
        add_to_faq=bool(row["add_to_faq"]),
        faq_draft=row["faq_draft"],
    )


def _message(row: sqlite3.Row) -> CaseMessage:
    attachment = None
    if row["attachment_kind"]:
        attachment = Attachment(row["attachment_kind"], row["attachment_ref"] or "", row["attachment_caption"] or "")
    return CaseMessage(
        id=row["id"], case_number=row["case_number"], author=row["author"], text=row["text"],
        created_at=row["created_at"], operator_id=row["operator_id"],
        platform_message_id=row["platform_message_id"], attachment=attachment,
    )


def _event(row: sqlite3.Row) -> CaseEvent:
    return CaseEvent(id=row["id"], case_number=row["case_number"], kind=row["kind"], actor=row["actor"],
                     at=row["at"], target=row["target"], detail=row["detail"])


def _outbox(row: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=row["id"], case_number=row["case_number"], platform=row["platform"], chat_id=row["chat_id"],
        text=row["text"], author_operator=row["author_operator"], status=row["status"], attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], created_at=row["created_at"], message_id=row["message_id"],
        delivered_at=row["delivered_at"], platform_message_id=row["platform_message_id"],
        last_error=row["last_error"],
    )


def _interaction(row: sqlite3.Row) -> Interaction:
    return Interaction(
        id=row["id"], at=row["at"], platform=row["platform"], user_id=row["user_id"], language=row["language"],
        text=row["text"], decision=row["decision"], intent=row["intent"], entry_id=row["entry_id"],
        score=row["score"], case_number=row["case_number"],
        helpful=None if row["helpful"] is None else bool(row["helpful"]),
    )


def _post(row: sqlite3.Row) -> CasePost:
    return CasePost(
        case_number=row["case_number"], platform=row["platform"], chat_id=row["chat_id"],
        message_id=row["message_id"], kind=row["kind"], created_at=row["created_at"], thread_id=row["thread_id"],
        pinned=bool(row["pinned"]),
    )


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class SqliteStore:
    """Cases, their logs, the outbox, notices and interactions in one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock = time.time,
        claim_limits: dict[str, float] | None = None,
        busy_timeout: float = 10.0,
    ):
        self.path = str(path)
        self.clock = clock
        self.claim_limits = {**DEFAULT_CLAIM_LIMITS, **(claim_limits or {})}
        self.busy_timeout = busy_timeout
        self._db: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------------------

    async def open(self) -> SqliteStore:
        """Connect, set the connection up (WAL, foreign keys, busy timeout, FULL sync) and migrate the schema."""
        if self._db is not None:
            return self
        db = await aiosqlite.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
        try:
            db.row_factory = sqlite3.Row
            await db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if self.path != ":memory:":
                async with db.execute("PRAGMA journal_mode = WAL") as cursor:
                    mode = (await cursor.fetchone())[0]
                if str(mode).lower() != "wal":
                    raise SchemaError(f"{self.path}: cannot switch to WAL journal mode (got {mode!r})")
            await db.execute("PRAGMA synchronous = FULL")
            await db.execute("PRAGMA foreign_keys = ON")
            self._db = db
            await migrate(db, MIGRATIONS, self.clock)
        except BaseException:
            self._db = None
            await db.close()
            raise
        return self

    async def close(self) -> None:
        """Close the connection (pending statements finish first)."""
        db, self._db = self._db, None
        if db is not None:
            async with self._lock:
                await db.close()

    async def connection_settings(self) -> dict[str, object]:
        """Return how the connection is set up (journal mode, synchronous, foreign keys, busy timeout, schema)."""
        async with self._read() as db:
            values = {}
            for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version"):
                row = await self._one(db, f"PRAGMA {pragma}")
                values[pragma] = row[0]
            rows = await self._all(db, "SELECT name FROM schema_migrations ORDER BY name")
        values["migrations"] = [r["name"] for r in rows]
        return values

    async def __aenter__(self) -> SqliteStore:
        return await self.open()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block as one BEGIN IMMEDIATE transaction: committed on success, rolled back otherwise."""
        db = self._connection()
        async with self._lock:
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise
            else:
                await db.execute("COMMIT")

    @asynccontextmanager
    async def _read(self, snapshot: bool = False) -> AsyncIterator[aiosqlite.Connection]:
        """Read on the shared connection, in one consistent snapshot when asked."""
        db = self._connection()
        async with self._lock:
            if not snapshot:
                yield db
                return
            await db.execute("BEGIN")
            try:
                yield db
            finally:
                if db.in_transaction:
                    await db.execute("COMMIT")

    def _connection(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open: call `await store.open()` first")
        return self._db

    @staticmethod
    async def _one(db: aiosqlite.Connection, sql: str, params: Iterable[object] | dict = ()) -> sqlite3.Row | None:
        async with db.execute(sql, params) as cursor:
            return await cursor.fetchone()

    @staticmethod
    async def _all(db: aiosqlite.Connection, sql: str, params: Iterable[object] | dict = ()) -> list[sqlite3.Row]:
        async with db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    def _due_params(self, now: float) -> dict[str, float]:
        return {"now": now, **{p: float(self.claim_limits.get(p, DEFAULT_CLAIM_LIMITS[p])) for p in PRIORITIES}}

    async def _event(self, db, number: int, kind: str, actor: str, now: float,
                     target: str | None = None, detail: str | None = None) -> None:
        await db.execute(
            "INSERT INTO case_events (case_number, kind, actor, at, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (number, kind, actor, now, target, detail or None),
        )

    async def _notice(self, db, operator_id: str, kind: str, number: int, now: float,
                      actor: str | None = None, detail: str | None = None) -> None:
        await db.execute(
            "INSERT INTO notices (operator_id, kind, case_number, actor, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (operator_id, kind, number, actor, detail or None, now),
        )

    async def _insert_message(self, db, number: int, author: str, text: str, now: float, *,
                              operator_id: str | None = None, platform_message_id: str | None = None,
                              attachment: Attachment | None = None) -> int | None:
        if author not in AUTHORS:
            raise ValueError(f"unknown author {author!r}; use one of {', '.join(AUTHORS)}")
        row = await self._one(
            db,
            """INSERT INTO case_messages (case_number, author, text, operator_id, platform_message_id,
                   attachment_kind, attachment_ref, attachment_caption, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING RETURNING id""",
            (number, author, text, operator_id, platform_message_id,
             attachment.kind if attachment else None, attachment.ref if attachment else None,
             attachment.caption if attachment else None, now),
        )
        return row["id"] if row else None

    async def _enqueue(self, db, number: int | None, platform: str, chat_id: str, text: str,
                       author_operator: str | None, now: float) -> OutboxItem:
        message_id = None
        if number is not None:
            message_id = await self._insert_message(
                db, number, "operator" if author_operator else "bot", text, now, operator_id=author_operator)
        row = await self._one(
            db,
            """INSERT INTO outbox (case_number, message_id, platform, chat_id, text, author_operator, status,
                   created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *""",
            (number, message_id, platform, chat_id, text, author_operator, now, now),
        )
        return _outbox(row)

    async def _notify_citizen(self, db, case: Case, notice: CitizenNotice | None, now: float) -> None:
        if notice is None:
            return
        text = notice(case)
        if text:
            await self._enqueue(db, case.number, case.citizen.platform, case.citizen.chat_id, text, None, now)

    async def _refuse(self, db, number: int, operator_id: str | None, expected: str) -> CaseError:
        """Explain why a conditional update found no row: missing case, someone else's, or the wrong state.

        `expected` is the state the step needed: "open", "claimed", "resolved", "active", or "held" (claimed or
        resolved, by this operator).
        """
        row = await self._one(db, "SELECT status, operator_id FROM cases WHERE number = ?", (number,))
        if row is None:
            return CaseError("not_found", f"no case #{number}")
        status, holder = row["status"], row["operator_id"]
        if expected == "open" and status == "claimed":
            if holder == operator_id:
                return CaseError("already_yours", f"case #{number} is already yours", holder=holder, status=status)
            return CaseError("taken", f"case #{number} is held by {holder}", holder=holder, status=status)
        if expected == "claimed" and status == "claimed" and holder != operator_id:
            return CaseError("not_owner", f"case #{number} is held by {holder}", holder=holder, status=status)
        if expected == "held" and status in ("claimed", "resolved") and holder != operator_id:
            return CaseError("not_owner", f"case #{number} is {status} by {holder}", holder=holder, status=status)
        return CaseError("bad_state", f"case #{number} is {status}", holder=holder, status=status)

    # -- the citizen side (DeskStore) ------------------------------------------------------------------

    async def open_case(
        self,
        citizen: Citizen,
        *,
        reason: str,
        priority: str,
        question: str,
        language: str,
        category: str | None = None,
        message_id: str | None = None,
    ) -> Case:
        """Open a case with the citizen's question as its first message.

        When the citizen already has an active case (a second handoff racing the first), the question goes
        into that case instead, whose priority is raised if the new one is more urgent.
        """
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}")
        async with self._write() as db:
            now = self.clock()
            await db.execute(
                """INSERT INTO citizens (platform, user_id, chat_id, display_name, updated_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (platform, user_id) DO UPDATE SET chat_id = excluded.chat_id,
                       display_name = excluded.display_name, updated_at = excluded.updated_at""",
                (citizen.platform, citizen.user_id, citizen.chat_id, citizen.display_name, now),
            )
            row = await self._one(
                db, "SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status IN ('open', 'claimed')",
                (citizen.platform, citizen.user_id),
            )
            if row is not None:
                number = row["number"]
                await self._insert_message(db, number, "citizen", question, now, platform_message_id=message_id)
                if PRIORITIES.index(priority) < PRIORITIES.index(row["priority"]):
                    await db.execute("UPDATE cases SET priority = ?, updated_at = ? WHERE number = ?",
                                     (priority, now, number))
                    await self._event(db, number, "priority_raised", f"citizen:{citizen.user_id}", now,
                                      detail=f"{row['priority']} -> {priority} ({reason})")
                return _case(await self._one(db, "SELECT * FROM cases WHERE number = ?", (number,)))
            row = await self._one(
                db,
                """INSERT INTO cases (platform, user_id, chat_id, display_name, citizen_language, language, reason,
                       category, priority, status, question, created_at, updated_at, queued_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING *""",
                (citizen.platform, citizen.user_id, citizen.chat_id, citizen.display_name, citizen.language,
                 language, reason, category, priority, question, now, now, now),
            )
            case = _case(row)
            await self._insert_message(db, case.number, "citizen", question, now, platform_message_id=message_id)
            await self._event(db, case.number, "opened", f"citizen:{citizen.user_id}", now, detail=reason)
            return case

    async def active_case_for(self, platform: str, user_id: str) -> Case | None:
        """Return the citizen's open or claimed case, if any."""
        async with self._read() as db:
            row = await self._one(
                db, """SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status IN ('open', 'claimed')
                       ORDER BY number DESC LIMIT 1""",
                (platform, user_id),
            )
        return _case(row) if row else None

    async def reopenable_case_for(self, platform: str, user_id: str, within_days: float) -> Case | None:
        """Return the citizen's case resolved within the last `within_days`, if any."""
        async with self._read() as db:
            row = await self._one(
                db, """SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status = 'resolved'
                           AND resolved_at >= ? ORDER BY resolved_at DESC LIMIT 1""",
                (platform, user_id, self.clock() - within_days * DAY),
            )
        return _case(row) if row else None

    async def add_message(
        self,
        case_number: int,
        author: str,
        text: str,
        *,
        operator_id: str | None = None,
        platform_message_id: str | None = None,
        attachment: Attachment | None = None,
    ) -> bool:
        """Append to a case's log; return False when this platform message id was already stored."""
        async with self._write() as db:
            now = self.clock()
            if await self._one(db, "SELECT 1 FROM cases WHERE number = ?", (case_number,)) is None:
                raise CaseError("not_found", f"no case #{case_number}")
            added = await self._insert_message(db, case_number, author, text, now, operator_id=operator_id,
                                               platform_message_id=platform_message_id, attachment=attachment)
            if added is not None:
                await db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", (now, case_number))
            return added is not None

    async def reopen(self, case_number: int, actor: str) -> Case:
        """Put a resolved case back in the queue (unassigned; its last operator gets a notice)."""
        async with self._write() as db:
            now = self.clock()
            before = await self._one(db, "SELECT operator_id FROM cases WHERE number = ?", (case_number,))
            try:
                row = await self._one(
                    db, """UPDATE cases SET status = 'open', operator_id = NULL, queued_at = ?, escalated_at = NULL,
                               resolved_at = NULL, claimed_at = NULL, updated_at = ?
                           WHERE number = ? AND status = 'resolved' RETURNING *""",
                    (now, now, case_number),
                )
            except sqlite3.IntegrityError:
                raise CaseError("already_active", f"the citizen of #{case_number} has another active case") from None
            if row is None:
                raise await self._refuse(db, case_number, None, "resolved")
            previous = before["operator_id"] if before else None
            await self._event(db, case_number, "reopened", actor, now, target=previous)
            if previous:
                await self._notice(db, previous, "reopened", case_number, now, actor=actor)
            return _case(row)

    async def cancel(self, case_number: int, actor: str) -> Case:
        """Withdraw an active case at the citizen's request (its operator, if any, gets a notice)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'cancelled', cancelled_at = ?, updated_at = ?
                       WHERE number = ? AND status IN ('open', 'claimed') RETURNING *""",
                (now, now, case_number),
            )
            if row is None:
                raise await self._refuse(db, case_number, None, "active")
            case = _case(row)
            await self._event(db, case_number, "cancelled", actor, now)
            if case.operator_id:
                await self._notice(db, case.operator_id, "cancelled", case_number, now, actor=actor)
            return case

    async def queue_position(self, case_number: int) -> int | None:
        """Return the 1-based place of an open case in the queue, or None when it is not waiting."""
        async with self._read() as db:
            row = await self._one(
                db, f"""SELECT position FROM (
                           SELECT number, ROW_NUMBER() OVER (ORDER BY {_QUEUE_ORDER}) AS position
                           FROM cases WHERE status = 'open') WHERE number = :number""",
                {**self._due_params(self.clock()), "number": case_number},
            )
        return row["position"] if row else None

    async def log_interaction(
        self,
        citizen: Citizen,
        *,
        text: str,
        language: str,
        decision: str,
        intent: str | None,
        entry_id: str | None,
        score: float | None,
        case_number: int | None = None,
    ) -> int:
        """Record one question and what the desk decided; return its id (for feedback and reports)."""
        async with self._write() as db:
            row = await self._one(
                db, """INSERT INTO interactions (at, platform, user_id, language, text, decision, intent, entry_id,
                           score, case_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                (self.clock(), citizen.platform, citizen.user_id, language, text, decision, intent, entry_id,
                 score, case_number),
            )
            return row["id"]

    async def record_feedback(self, interaction_id: int, helpful: bool) -> None:
        """Store the citizen's helpful / not helpful verdict on an answer."""
        async with self._write() as db:
            await db.execute("UPDATE interactions SET helpful = ?, feedback_at = ? WHERE id = ?",
                             (int(helpful), self.clock(), interaction_id))

    async def interaction_text(self, interaction_id: int) -> str | None:
        """Return the question text of a logged interaction, or None."""
        async with self._read() as db:
            row = await self._one(db, "SELECT text FROM interactions WHERE id = ?", (interaction_id,))
        return row["text"] if row else None

    async def citizen_language(self, platform: str, user_id: str) -> str | None:
        """Return the language the citizen chose with /lang, if any."""
        async with self._read() as db:
            row = await self._one(db, "SELECT language FROM citizens WHERE platform = ? AND user_id = ?",
                                  (platform, user_id))
        return row["language"] if row else None

    async def set_citizen_language(self, platform: str, user_id: str, language: str) -> None:
        """Remember the citizen's chosen language."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO citizens (platform, user_id, language, updated_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (platform, user_id) DO UPDATE SET language = excluded.language,
                       updated_at = excluded.updated_at""",
                (platform, user_id, language, self.clock()),
            )

    # -- the operator side (CaseStore) -----------------------------------------------------------------

    async def get_case(self, case_number: int) -> Case | None:
        """Return the case with this number, or None."""
        async with self._read() as db:
            row = await self._one(db, "SELECT * FROM cases WHERE number = ?", (case_number,))
        return _case(row) if row else None

    async def queue(self, limit: int = 20) -> tuple[list[Case], int]:
        """Return the first `limit` open cases (overdue, then urgent first, then oldest) and how many are open."""
        async with self._read(snapshot=True) as db:
            rows = await self._all(
                db, f"SELECT * FROM cases WHERE status = 'open' ORDER BY {_QUEUE_ORDER} LIMIT :limit",
                {**self._due_params(self.clock()), "limit": limit},
            )
            total = await self._one(db, "SELECT COUNT(*) AS n FROM cases WHERE status = 'open'")
        return [_case(r) for r in rows], total["n"]

    async def cases_of(self, operator_id: str) -> list[Case]:
        """Return the cases an operator holds, oldest first."""
        async with self._read() as db:
            rows = await self._all(
                db, "SELECT * FROM cases WHERE status = 'claimed' AND operator_id = ? ORDER BY created_at, number",
                (operator_id,),
            )
        return [_case(r) for r in rows]

    async def claim(self, case_number: int, operator_id: str, *, citizen_notice: CitizenNotice | None = None) -> Case:
        """Take an open case in one conditional UPDATE; raise CaseError('taken', holder=...) when someone has it."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'claimed', operator_id = ?, claimed_at = ?,
                           first_claimed_at = COALESCE(first_claimed_at, ?), updated_at = ?
                       WHERE number = ? AND status = 'open' RETURNING *""",
                (operator_id, now, now, now, case_number),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "open")
            case = _case(row)
            await self._event(db, case_number, "claimed", operator_id, now,
                              detail=f"waited {now - case.waiting_since():.0f}s")
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def release(self, case_number: int, operator_id: str, *, force: bool = False) -> Case:
        """Put a claimed case back in the queue (force: a supervisor acting on another's case)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'open', operator_id = NULL, claimed_at = NULL, queued_at = ?,
                           escalated_at = NULL, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND (operator_id = ? OR ?) RETURNING *""",
                (now, now, case_number, operator_id, force),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            await self._event(db, case_number, "released", operator_id, now)
            return _case(row)

    async def transfer(
        self, case_number: int, operator_id: str, to_operator: str, why: str = "", *, force: bool = False,
    ) -> Case:
        """Hand a claimed case to another operator, who gets a notice."""
        if to_operator == operator_id:
            raise CaseError("same_operator", "cannot transfer a case to yourself")
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET operator_id = ?, claimed_at = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND (operator_id = ? OR ?) RETURNING *""",
                (to_operator, now, now, case_number, operator_id, force),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            await self._event(db, case_number, "transferred", operator_id, now, target=to_operator, detail=why)
            await self._notice(db, to_operator, "transferred", case_number, now, actor=operator_id, detail=why)
            return _case(row)

    async def forward(
        self, case_number: int, operator_id: str, department: str, why: str = "",
        *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Forward a claimed case to a department (转办); the operator keeps it to follow up and close it."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET department = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND operator_id = ? RETURNING *""",
                (department, now, case_number, operator_id),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            case = _case(row)
            await self._event(db, case_number, "forwarded", operator_id, now, target=department, detail=why)
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def resolve(
        self, case_number: int, operator_id: str, summary: str = "", *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Mark a claimed case resolved (only by the operator who holds it)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'resolved', resolved_at = ?, summary = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND operator_id = ? RETURNING *""",
                (now, summary or None, now, case_number, operator_id),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            case = _case(row)
            await self._event(db, case_number, "resolved", operator_id, now, detail=summary)
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def add_note(self, case_number: int, operator_id: str, text: str) -> CaseMessage:
        """Add an internal note (never shown to the citizen) to any case."""
        async with self._write() as db:
            now = self.clock()
            if await self._one(db, "SELECT 1 FROM cases WHERE number = ?", (case_number,)) is None:
                raise CaseError("not_found", f"no case #{case_number}")
            message_id = await self._insert_message(db, case_number, "note", text, now, operator_id=operator_id)
            row = await self._one(db, "SELECT * FROM case_messages WHERE id = ?", (message_id,))
            return _message(row)

    async def mark_for_faq(
        self, case_number: int, operator_id: str, draft: str | None = None, *, force: bool = False,
    ) -> Case:
        """Mark a claimed or resolved case "add to FAQ" (its holder or resolver; force: the supervisor).

        A draft replaces the one stored before; without one the stored draft stays, and `faq gaps` falls back to
        the operator's last reply. Marking again is allowed and recorded again (the latest mark dates it).
        """
        draft = (draft or "").strip() or None
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET add_to_faq = 1, faq_draft = COALESCE(?, faq_draft), updated_at = ?
                       WHERE number = ? AND status IN ('claimed', 'resolved') AND (operator_id = ? OR ?)
                       RETURNING *""",
                (draft, now, case_number, operator_id, force),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "held")
            await self._event(db, case_number, "marked_for_faq", operator_id, now, detail=draft)
            return _case(row)

    async def messages(self, case_number: int) -> list[CaseMessage]:
        """Return a case's log in order."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM case_messages WHERE case_number = ? ORDER BY id", (case_number,))
        return [_message(r) for r in rows]

    async def events(self, case_number: int) -> list[CaseEvent]:
        """Return a case's steps in order."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM case_events WHERE case_number = ? ORDER BY id", (case_number,))
        return [_event(r) for r in rows]

    async def citizen_messages_since(
        self, after_id: int, operator_id: str | None = None,
    ) -> list[tuple[Case, CaseMessage]]:
        """Return citizen lines newer than `after_id` on active cases (held by `operator_id`, if given)."""
        async with self._read(snapshot=True) as db:
            holder = "AND c.operator_id = ?" if operator_id else ""
            params: tuple = (after_id, operator_id) if operator_id else (after_id,)
            rows = await self._all(
                db, f"""SELECT m.* FROM case_messages m JOIN cases c ON c.number = m.case_number
                        WHERE m.id > ? AND m.author = 'citizen' AND c.status IN ('open', 'claimed') {holder}
                        ORDER BY m.id""",
                params,
            )
            messages = [_message(r) for r in rows]
            numbers = sorted({m.case_number for m in messages})
            cases = {r["number"]: _case(r) for r in await self._all(
                db, f"SELECT * FROM cases WHERE number IN ({_marks(numbers)})", numbers)} if numbers else {}
        return [(cases[m.case_number], m) for m in messages]

    async def last_message_id(self) -> int:
        """Return the newest log line id (a cursor for citizen_messages_since)."""
        async with self._read() as db:
            row = await self._one(db, "SELECT COALESCE(MAX(id), 0) AS id FROM case_messages")
        return row["id"]

    async def handover(self) -> list[HandoverItem]:
        """Return every open and claimed case with its last message and undelivered replies."""
        async with self._read(snapshot=True) as db:
            rows = await self._all(
                db, f"""SELECT * FROM cases WHERE status IN ('open', 'claimed')
                        ORDER BY status = 'claimed', {_QUEUE_ORDER}""",
                self._due_params(self.clock()),
            )
            cases = [_case(r) for r in rows]
            last = {r["case_number"]: _message(r) for r in await self._all(
                db, """SELECT m.* FROM case_messages m JOIN (
                           SELECT case_number, MAX(id) AS id FROM case_messages
                           WHERE case_number IN (SELECT number FROM cases WHERE status IN ('open', 'claimed'))
                           GROUP BY case_number) l ON l.id = m.id""")}
            counts: dict[tuple[int, str], int] = {}
            for r in await self._all(
                db, """SELECT case_number, status, COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'failed')
                       AND case_number IN (SELECT number FROM cases WHERE status IN ('open', 'claimed'))
                       GROUP BY case_number, status"""):
                counts[(r["case_number"], r["status"])] = r["n"]
        return [HandoverItem(c, last.get(c.number), counts.get((c.number, "pending"), 0),
                             counts.get((c.number, "failed"), 0)) for c in cases]

    async def set_on_duty(self, operator_id: str, on_duty: bool) -> None:
        """Record that an operator started or ended a shift."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO operator_shifts (operator_id, on_duty, since) VALUES (?, ?, ?)
                   ON CONFLICT (operator_id) DO UPDATE SET on_duty = excluded.on_duty, since = excluded.since""",
                (operator_id, int(on_duty), self.clock()),
            )

    async def on_duty_operators(self) -> list[str]:
        """Return the ids of the operators on duty."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT operator_id FROM operator_shifts WHERE on_duty = 1 ORDER BY since")
        return [r["operator_id"] for r in rows]

    async def escalate_overdue(
        self, *, supervisor: str | None = None, fallback: tuple[str, ...] = (),
    ) -> list[tuple[Case, list[str]]]:
        """Mark open cases past their claim limit escalated, once, with a notice to each on-duty operator.

        Recipients are the on-duty operators and the supervisor; when that is nobody, `fallback` (every
        configured operator) so an urgent case is never escalated to no one. The conditional UPDATE makes
        this exactly-once even when several processes sweep at the same moment.
        """
        async with self._write() as db:
            now = self.clock()
            rows = await self._all(
                db, f"""UPDATE cases SET escalated_at = :now, updated_at = :now
                        WHERE status = 'open' AND escalated_at IS NULL AND {_DUE} <= :now RETURNING *""",
                self._due_params(now),
            )
            if not rows:
                return []
            on_duty = [r["operator_id"] for r in await self._all(
                db, "SELECT operator_id FROM operator_shifts WHERE on_duty = 1 ORDER BY since")]
            recipients = list(dict.fromkeys([*on_duty, *([supervisor] if supervisor else [])])) or list(fallback)
            escalated = []
            for row in sorted(rows, key=lambda r: (PRIORITIES.index(r["priority"]), r["created_at"])):
                case = _case(row)
                await self._event(db, case.number, "escalated", "system", now, detail=",".join(recipients))
                for operator_id in recipients:
                    await self._notice(db, operator_id, "escalated", case.number, now, actor="system")
                escalated.append((case, recipients))
            return escalated

    async def close_resolved(self, older_than_days: float) -> list[int]:
        """Close resolved cases not reopened within `older_than_days`; return their numbers."""
        async with self._write() as db:
            now = self.clock()
            rows = await self._all(
                db, """UPDATE cases SET status = 'closed', closed_at = ?, updated_at = ?
                       WHERE status = 'resolved' AND resolved_at <= ? RETURNING number""",
                (now, now, now - older_than_days * DAY),
            )
            numbers = sorted(r["number"] for r in rows)
            for number in numbers:
                await self._event(db, number, "closed", "system", now)
            return numbers

    async def pop_notices(self, operator_id: str | None = None) -> list[Notice]:
        """Return and mark seen the notices waiting for an operator (or for everyone when None)."""
        async with self._write() as db:
            where = "seen_at IS NULL" + (" AND operator_id = ?" if operator_id else "")
            rows = await self._all(db, f"UPDATE notices SET seen_at = ? WHERE {where} RETURNING *",
                                   (self.clock(), operator_id) if operator_id else (self.clock(),))
            if not rows:
                return []
            numbers = sorted({r["case_number"] for r in rows})
            cases = {r["number"]: _case(r) for r in await self._all(
                db, f"SELECT * FROM cases WHERE number IN ({_marks(numbers)})", numbers)}
        return [Notice(r["id"], r["operator_id"], r["kind"], cases[r["case_number"]], r["actor"], r["detail"],
                       r["created_at"]) for r in sorted(rows, key=lambda r: r["id"])]

    # -- the outbox (Outbox) ---------------------------------------------------------------------------

    async def enqueue(
        self, case_number: int | None, platform: str, chat_id: str, text: str, author_operator: str | None,
    ) -> OutboxItem:
        """Store a reply and its case-log line in one transaction, for delivery by the platform's sender.

        An operator's reply is refused unless that operator holds the case; bot notices (author None) are not.
        """
        async with self._write() as db:
            now = self.clock()
            if case_number is not None and author_operator is not None:
                row = await self._one(db, "SELECT status, operator_id FROM cases WHERE number = ?", (case_number,))
                if row is None or row["status"] != "claimed" or row["operator_id"] != author_operator:
                    raise await self._refuse(db, case_number, author_operator, "claimed")
            return await self._enqueue(db, case_number, platform, chat_id, text, author_operator, now)

    async def claim_due(
        self, platforms: tuple[str, ...], *, chat_id: str | None = None, lease: float = 60.0, limit: int = 20,
    ) -> list[OutboxItem]:
        """Lease the items due for delivery, at most the oldest pending one per chat so each chat stays in order.

        The lease (next_attempt_at moved `lease` seconds ahead) keeps other workers off an item while it is
        being sent; if this process dies mid-send, the item becomes due again when the lease runs out.
        """
        if not platforms:
            return []
        async with self._write() as db:
            now = self.clock()
            chat = "AND o.chat_id = ?" if chat_id is not None else ""
            params = [*platforms, *([chat_id] if chat_id is not None else []), now, limit]
            rows = await self._all(
                db, f"""SELECT o.id FROM outbox o
                        WHERE o.status = 'pending' AND o.platform IN ({_marks(platforms)}) {chat}
                          AND o.id = (SELECT MIN(p.id) FROM outbox p WHERE p.status = 'pending'
                                      AND p.platform = o.platform AND p.chat_id = o.chat_id)
                          AND o.next_attempt_at <= ?
                        ORDER BY o.id LIMIT ?""",
                params,
            )
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            leased = await self._all(
                db, f"""UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?
                        WHERE id IN ({_marks(ids)}) RETURNING *""",
                [now + lease, *ids],
            )
        return sorted((_outbox(r) for r in leased), key=lambda item: item.id)

    async def mark_delivered(self, item_id: int, platform_message_id: str | None) -> None:
        """Record a successful delivery (and the platform's id for it on the case-log line)."""
        async with self._write() as db:
            row = await self._one(
                db, """UPDATE outbox SET status = 'delivered', delivered_at = ?, platform_message_id = ?,
                           last_error = NULL WHERE id = ? AND status = 'pending' RETURNING message_id""",
                (self.clock(), platform_message_id, item_id),
            )
            if row is not None and row["message_id"] is not None and platform_message_id is not None:
                await db.execute("UPDATE OR IGNORE case_messages SET platform_message_id = ? WHERE id = ?",
                                 (platform_message_id, row["message_id"]))

    async def mark_retry(self, item_id: int, next_attempt_at: float, error: str) -> None:
        """Record a failed attempt and when to try again."""
        async with self._write() as db:
            await db.execute(
                "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'",
                (next_attempt_at, error[:500], item_id),
            )

    async def mark_failed(self, item_id: int, error: str) -> None:
        """Give up on an item for good; the operator who wrote it gets a notice."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status = 'pending'
                       RETURNING case_number, author_operator""",
                (error[:500], item_id),
            )
            if row is not None and row["author_operator"] and row["case_number"] is not None:
                await self._notice(db, row["author_operator"], "undeliverable", row["case_number"], now,
                                   detail=error[:200])

    async def mark_citizen_blocked(self, case_number: int) -> None:
        """Record that the citizen blocked the bot, so operators know replies cannot reach them."""
        async with self._write() as db:
            await db.execute("UPDATE cases SET citizen_blocked = 1, updated_at = ? WHERE number = ?",
                             (self.clock(), case_number))

    async def outbox_items(self, case_number: int) -> list[OutboxItem]:
        """Return a case's outbox items in order, whatever their state."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM outbox WHERE case_number = ? ORDER BY id", (case_number,))
        return [_outbox(r) for r in rows]

    # -- reports (Reports) -----------------------------------------------------------------------------

    async def report(self, since: float, until: float) -> DayReport:
        """Return the figures for the period [since, until)."""
        span = (since, until)
        async with self._read(snapshot=True) as db:
            decisions = {r["decision"]: r["n"] for r in await self._all(
                db, "SELECT decision, COUNT(*) AS n FROM interactions WHERE at >= ? AND at < ? GROUP BY decision",
                span)}
            reasons = {r["reason"]: r["n"] for r in await self._all(
                db, "SELECT reason, COUNT(*) AS n FROM cases WHERE created_at >= ? AND created_at < ? GROUP BY reason",
                span)}
            claims = [r["s"] for r in await self._all(
                db, """SELECT first_claimed_at - created_at AS s FROM cases
                       WHERE first_claimed_at >= ? AND first_claimed_at < ?""", span)]
            resolves = [r["s"] for r in await self._all(
                db, """SELECT resolved_at - created_at AS s FROM cases
                       WHERE resolved_at >= ? AND resolved_at < ?""", span)]
            now = {r["status"]: r["n"] for r in await self._all(
                db, "SELECT status, COUNT(*) AS n FROM cases WHERE status IN ('open', 'claimed') GROUP BY status")}
        return DayReport(
            questions=sum(decisions.values()), decisions=decisions, cases_opened=sum(reasons.values()),
            handoffs_by_reason=reasons, claimed=len(claims), resolved=len(resolves), claim_seconds=claims,
            resolve_seconds=resolves, open_now=now.get("open", 0), claimed_now=now.get("claimed", 0),
        )

    async def interactions(self, since: float, until: float) -> list[Interaction]:
        """Return the questions logged in [since, until), oldest first (for gap mining and daily reports)."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM interactions WHERE at >= ? AND at < ? ORDER BY id",
                                   (since, until))
        return [_interaction(r) for r in rows]

    # -- case posts (CasePosts) ------------------------------------------------------------------------

    async def add_case_post(
        self, case_number: int, platform: str, chat_id: str, message_id: str, kind: str,
        *, thread_id: str | None = None,
    ) -> None:
        """Remember a message posted about a case (its card, a forwarded citizen line), and its topic if any."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO case_posts (platform, chat_id, message_id, case_number, kind, thread_id, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                (platform, str(chat_id), str(message_id), case_number, kind,
                 None if thread_id is None else str(thread_id), self.clock()),
            )

    async def case_for_post(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """Return the case a posted message belongs to, or None."""
        async with self._read() as db:
            row = await self._one(
                db, "SELECT case_number FROM case_posts WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (platform, str(chat_id), str(message_id)),
            )
        return row["case_number"] if row else None

    async def case_posts(self, case_number: int, platform: str) -> list[CasePost]:
        """Return what was posted about a case on a platform, oldest first."""
        async with self._read() as db:
            rows = await self._all(
                db, "SELECT * FROM case_posts WHERE case_number = ? AND platform = ? ORDER BY created_at, rowid",
                (case_number, platform),
            )
        return [_post(r) for r in rows]

    async def set_post_pinned(self, platform: str, chat_id: str, message_id: str, pinned: bool) -> None:
        """Record that a posted message was pinned or unpinned."""
        async with self._write() as db:
            await db.execute(
                "UPDATE case_posts SET pinned = ? WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (int(pinned), platform, str(chat_id), str(message_id)),
            )


async def migrate(db: aiosqlite.Connection, migrations: Sequence[Migration], clock: Clock = time.time) -> list[str]:
    """Apply the migrations this database has not had yet, each in its own transaction; return their names."""
    await db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    async with db.execute("SELECT name FROM schema_migrations") as cursor:
        applied = {row[0] for row in await cursor.fetchall()}
    known = {m.name for m in migrations}
    unknown = sorted(applied - known)
    if unknown:
        raise SchemaError(f"the database was written by a newer frontdesk (migrations {', '.join(unknown)}); "
                          "upgrade frontdesk before opening it")
    done = []
    for index, migration in enumerate(migrations, 1):
        if migration.name in applied:
            continue
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", (migration.name,)) as cursor:
                if await cursor.fetchone() is not None:  # another process applied it while we waited
                    await db.execute("COMMIT")
                    continue
            for statement in migration.statements:
                await db.execute(statement)
            await db.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                             (migration.name, clock()))
            await db.execute(f"PRAGMA user_version = {index}")
            await db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
        done.append(migration.name)
    return done


def applied_migrations(path: str | Path) -> list[str]:
    """Return the names of the migrations recorded in a database file (for tools and tests)."""
    conn = sqlite3.connect(str(path))
    try:
        return [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
