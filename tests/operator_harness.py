"""The operators' desk test harness: phrases, a citizen, a movable clock and a store on a real SQLite file."""

from __future__ import annotations

import pytest

from frontdesk.clock import ManualClock
from frontdesk.model import Citizen
from frontdesk.operators import load_operator_phrases
from frontdesk.store import SqliteStore

PHRASES = load_operator_phrases()
WANG = Citizen("console", "wang", "wang", "王先生")


def say(key: str, **fields) -> str:
    """Return an operator phrase in Chinese."""
    return PHRASES.say(key, "zh", **fields)


def clock_fixture():
    """Return a `clock` fixture: a ManualClock the test moves."""

    @pytest.fixture
    def clock() -> ManualClock:
        return ManualClock()

    return clock


def store_fixture(claim_limits=None):
    """Return a `store` fixture: an open SqliteStore on tmp_path/ops.sqlite3 that keeps the test's `clock`."""
    options = {} if claim_limits is None else {"claim_limits": claim_limits}

    @pytest.fixture
    async def store(tmp_path, clock):
        async with SqliteStore(tmp_path / "ops.sqlite3", clock=clock, **options) as s:
            yield s

    return store


class Board:
    """A notifier that keeps what it was told, per recipient."""

    def __init__(self):
        self.posts: list[tuple[str | None, str]] = []

    async def notify(self, operator_id, text):
        """Keep one notice."""
        self.posts.append((operator_id, text))


async def taken_case(store, desk) -> int:
    """Open a case for WANG and have duty1 take it; return its number."""
    case = await store.open_case(WANG, reason="unmatched", priority="normal", question="明天停水吗", language="zh")
    await desk.handle("duty1", f"/take {case.number}")
    return case.number
