"""Time as the case store and the operator service see it: a callable returning epoch seconds (UTC)."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]

DAY = 86400.0  # seconds

system_clock: Clock = time.time


class ManualClock:
    """A clock that only moves when told to, for tests and replays."""

    def __init__(self, start: float = 1_750_000_000.0):
        self.now = float(start)

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def advance(self, seconds: float) -> float:
        """Move time forward and return the new time."""
        self.now += seconds
        return self.now
