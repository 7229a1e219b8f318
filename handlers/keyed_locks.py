"""One asyncio lock per key (a chat, a case), forgotten as soon as nobody holds or awaits it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Hashable


class KeyedLocks:
    """Serialise work per key while keeping memory proportional to the keys in use right now."""

    def __init__(self) -> None:
        self._entries: dict[Hashable, list] = {}  # key -> [lock, coroutines holding or awaiting it]

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the key's lock for the duration of the block."""
        entry = self._entries.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._entries.pop(key, None)
