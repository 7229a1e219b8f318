"""Delivering stored replies to citizens: the outbox worker, the Sender protocol and the console sender.

An operator's reply is stored first (frontdesk.cases.Outbox.enqueue, in the same transaction as its case-log
line), then a worker leases it, hands it to the platform's Sender and marks it delivered. A failed attempt is
retried with exponential backoff; the schedule lives in the database, so it survives a restart.

Delivery is exactly-once in normal running and at-least-once across a crash: if the process dies after the
platform accepted a message but before `mark_delivered` committed, the lease runs out and the item is sent
again. Nothing else can send an item twice: a delivered item is never due again, and a leased one is not
handed to another worker until its lease expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from frontdesk.cases import Outbox, OutboxItem
from frontdesk.clock import Clock
from frontdesk.model import Citizen

log = logging.getLogger(__name__)

CONSOLE = "console"
MIN_RETRY_SECONDS = 1.0  # a failed item is never due again in the same round


class DeliveryError(Exception):
    """A platform refused or failed to deliver; `permanent` failures are not retried."""

    def __init__(self, message: str = "", *, permanent: bool = False, retry_after: float | None = None,
                 blocked: bool | None = None):
        super().__init__(message or ("permanent delivery failure" if permanent else "delivery failed"))
        self.permanent = permanent
        self.retry_after = retry_after
        self.blocked = permanent if blocked is None else blocked  # the citizen blocked the bot (Telegram 403)


class Sender(Protocol):
    """A platform adapter's way to put text in front of a citizen."""

    async def send(self, chat_id: str, text: str) -> str:
        """Send text to a chat and return the platform's message id; raise DeliveryError on failure."""


@dataclass(frozen=True)
class Backoff:
    """Exponential retry delays: base, base*factor, ... capped at `cap` seconds."""

    base: float = 2.0
    factor: float = 2.0
    cap: float = 300.0

    def delay(self, attempts: int) -> float:
        """Return how long to wait after the `attempts`-th failed attempt."""
        return min(self.cap, self.base * self.factor ** max(0, attempts - 1))


class OutboxWorker:
    """Delivers due outbox items through the platform senders, retrying failures with backoff."""

    def __init__(
        self,
        store: Outbox,
        senders: dict[str, Sender],
        *,
        clock: Clock = time.time,
        chat_id: str | None = None,
        backoff: Backoff = Backoff(),
        lease: float = 60.0,
        max_attempts: int = 50,
    ):
        self.store = store
        self.senders = senders
        self.clock = clock
        self.chat_id = chat_id  # deliver only to this chat (a console process serves one citizen)
        self.backoff = backoff
        self.lease = lease
        self.max_attempts = max_attempts
        self._reach_changed: set[int] = set()  # cases whose citizen turned out unreachable, or reachable again

    def reach_changes(self) -> list[int]:
        """Return, and forget, the cases whose citizen turned out unreachable or reachable again since last asked."""
        changed, self._reach_changed = sorted(self._reach_changed), set()
        return changed

    async def run_once(self) -> int:
        """Deliver everything due now, each chat in order; return how many items were delivered."""
        delivered = 0
        platforms = tuple(self.senders)
        while True:
            items = await self.store.claim_due(platforms, chat_id=self.chat_id, lease=self.lease)
            if not items:
                return delivered
            for item in items:
                delivered += await self._deliver(item)

    async def run(self, interval: float = 1.0, stop: asyncio.Event | None = None) -> None:
        """Deliver due items every `interval` seconds until `stop` is set (or the task is cancelled)."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a broken round must not end delivery for good
                log.exception("outbox round failed")
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that lands as `stop` is set
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await stop.wait()

    async def _deliver(self, item: OutboxItem) -> int:
        sender = self.senders[item.platform]
        try:
            message_id = await sender.send(item.chat_id, item.text)
        except DeliveryError as exc:
            await self._failed(item, exc.permanent, exc.blocked, exc.retry_after, str(exc))
            return 0
        except Exception as exc:  # an unexpected error is treated as temporary
            log.warning("delivery of outbox item %s failed: %r", item.id, exc)
            await self._failed(item, False, False, None, repr(exc))
            return 0
        await self.store.mark_delivered(item.id, str(message_id) if message_id is not None else None)
        await self._reached(item)
        return 1

    async def _reached(self, item: OutboxItem) -> None:
        """A delivery to the case's chat went through: a citizen marked as blocking the bot no longer is."""
        if item.case_number is not None and await self.store.mark_citizen_reachable(item.case_number, item.chat_id):
            self._reach_changed.add(item.case_number)

    async def _failed(self, item: OutboxItem, permanent: bool, blocked: bool, retry_after: float | None,
                      error: str) -> None:
        if permanent or item.attempts >= self.max_attempts:
            await self.store.mark_failed(item.id, error)
            if blocked and item.case_number is not None:
                await self.store.mark_citizen_blocked(item.case_number)
                self._reach_changed.add(item.case_number)
            return
        wait = max(self.backoff.delay(item.attempts), retry_after or 0.0, MIN_RETRY_SECONDS)
        await self.store.mark_retry(item.id, self.clock() + wait, error)


class ConsoleSender:
    """Delivers console citizens' replies by writing them to the citizen's terminal."""

    _ids = itertools.count(1)

    def __init__(self, write: Callable[[str], object]):
        self.write = write

    async def send(self, chat_id: str, text: str) -> str:
        """Write the text and return a made-up message id."""
        self.write(text)
        return f"console-out-{time.time_ns()}-{next(self._ids)}"


def console_delivery(store: Outbox, *, clock: Clock = time.time) -> Callable[[Citizen], Awaitable[list[str]]]:
    """Return `deliver(citizen) -> texts` for the citizen console: the replies waiting for that console chat.

    Each call delivers (and marks delivered) the console items due for the citizen's chat, in order, and
    returns their texts for the console to print.
    """

    async def deliver(citizen: Citizen) -> list[str]:
        texts: list[str] = []
        worker = OutboxWorker(store, {CONSOLE: ConsoleSender(texts.append)}, clock=clock, chat_id=citizen.chat_id)
        await worker.run_once()
        return texts

    return deliver
