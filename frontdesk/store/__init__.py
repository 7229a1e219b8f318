"""The case store: the SQLite implementation of the store protocols in frontdesk.cases, and its migrations."""

from __future__ import annotations

from pathlib import Path

from frontdesk.clock import Clock, system_clock
from frontdesk.settings import Settings
from frontdesk.store.sqlite import SchemaError, SqliteStore

__all__ = ["SchemaError", "SqliteStore", "open_store"]


async def open_store(
    settings: Settings, db_path: str | Path | None = None, *, clock: Clock = system_clock,
) -> SqliteStore:
    """Open (and migrate) the store configured in settings, with the queue's claim limits."""
    store = SqliteStore(db_path or settings.db_path, clock=clock, claim_limits=settings.queue.claim_limits)
    return await store.open()
