"""The case store on one SQLite file (aiosqlite): the embedded default behind the store protocols.

Every method is one short transaction on this store's single connection. Several processes (the citizen
console, operator desks, the Telegram bot) may open the same file: WAL lets readers and the one writer of
the moment work together, `busy_timeout` makes a second writer wait its turn, and every read-modify-write
starts with BEGIN IMMEDIATE so it takes the write lock before it reads. Durability is synchronous=FULL:
a commit is on disk before the call returns, so an acknowledged case, message or outbox item survives
kill -9 and a power cut alike (NORMAL-with-WAL survives kill -9 but can lose the last commits on power
loss; at a hotline's few writes per second the fsync costs nothing that matters).

This module holds the connection (its set-up, the migrations, the read and write transactions); the
methods of each store protocol live in one part per job, mixed into SqliteStore: cases (opening and
finding), lifecycle (the steps), queue (order, handover, escalation), messages (the case log), notices,
shifts, outbox, posts, interactions (and the day's figures) and citizens.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from frontdesk.clock import Clock
from frontdesk.store.cases import CaseRecords
from frontdesk.store.citizens import CitizenRecords
from frontdesk.store.interactions import InteractionRecords
from frontdesk.store.lifecycle import CaseSteps
from frontdesk.store.messages import CaseLog
from frontdesk.store.migrations import MIGRATIONS, Migration
from frontdesk.store.notices import Notices
from frontdesk.store.outbox import OutboxRecords
from frontdesk.store.posts import PostRecords
from frontdesk.store.queue import DEFAULT_CLAIM_LIMITS, CaseQueue
from frontdesk.store.shifts import Shifts


class SchemaError(Exception):
    """The database file cannot be used by this version of frontdesk."""


class SqliteStore(
    CaseRecords, CaseSteps, CaseQueue, CaseLog, Notices, Shifts, OutboxRecords, PostRecords, InteractionRecords,
    CitizenRecords,
):
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

    # -- the connection ------------------------------------------------------------------------------

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
