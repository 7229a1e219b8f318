"""Reading a terminal (or piped stdin) line by line without blocking the event loop or the exit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO


class LineReader:
    """Lines of a stream, read on a daemon thread (a blocked terminal read must not keep the process alive)."""

    def __init__(self, stream: TextIO, name: str = "stdin-reader"):
        self.lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def read() -> None:
            while True:
                line = stream.readline()
                try:
                    loop.call_soon_threadsafe(self.lines.put_nowait, line or None)
                except RuntimeError:  # the loop is gone: the console has ended
                    return
                if not line:
                    return

        threading.Thread(target=read, name=name, daemon=True).start()

    async def next_line(self, idle: Callable[[], Awaitable[object]], every: float) -> str | None:
        """Return the next line (None at end of input), calling `idle` every `every` seconds while waiting."""
        while True:
            try:
                return await asyncio.wait_for(self.lines.get(), every)
            except TimeoutError:
                await idle()
