"""Progress for long commands (import, report, purge): one updating line on stderr, only on a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

ERASE_LINE = "\x1b[K"  # clear from the cursor to the end of the line


class Progress:
    """Shows `label: done/total` (or a step name) on one line of a terminal; silent when not on a terminal."""

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None, every: float = 0.1):
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.every = every
        self._last = 0.0
        self._drawn = False

    def update(self, done: int, note: str = "") -> None:
        """Show how far the work is; redrawn at most every `every` seconds."""
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < self.every and (self.total is None or done < self.total):
            return
        self._last = now
        count = f"{done}/{self.total}" if self.total else str(done)
        self._draw(f"{self.label}: {count}{'  ' + note if note else ''}")

    def step(self, note: str) -> None:
        """Show the name of the step now running."""
        if self.enabled:
            self._draw(f"{self.label}: {note}")

    def done(self) -> None:
        """Clear the progress line."""
        if self.enabled and self._drawn:
            self.stream.write(f"\r{ERASE_LINE}")
            self.stream.flush()
            self._drawn = False

    def _draw(self, text: str) -> None:
        self.stream.write(f"\r{text}{ERASE_LINE}")
        self.stream.flush()
        self._drawn = True
