"""Time limits: overdue open cases are escalated once to the on-duty operators and the supervisor, and
resolved cases are closed for good after the configured number of days.

The sweep can run in every process that has the store open (each operator desk, the Telegram bot): the
store's conditional UPDATE makes each escalation happen exactly once, and it writes a notice per recipient
in the same transaction, so an escalation is never lost to a crash. Notices reach people through a
Notifier: the console desk prints its own operator's notices, the Telegram bot posts them to the group.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from frontdesk.cases import Case, CaseStore, Notice
from frontdesk.clock import Clock
from frontdesk.settings import Settings


class Notifier(Protocol):
    """Where operator notices go: one operator (`operator_id`) or the whole duty team (None)."""

    async def notify(self, operator_id: str | None, text: str) -> None:
        """Show or post one notice."""


@dataclass(frozen=True)
class Sweep:
    """What one sweep did."""

    escalated: list[tuple[Case, list[str]]] = field(default_factory=list)  # each case with who was alerted
    closed: list[int] = field(default_factory=list)


class Escalator:
    """Applies the queue's time limits: escalates overdue cases and closes old resolved ones."""

    def __init__(self, store: CaseStore, settings: Settings, *, clock: Clock = time.time):
        self.store = store
        self.settings = settings
        self.clock = clock

    async def sweep(self) -> Sweep:
        """Escalate every open case past its claim limit (once) and auto-close resolved cases past N days."""
        queue = self.settings.queue
        escalated = await self.store.escalate_overdue(
            supervisor=queue.supervisor, fallback=tuple(op.id for op in self.settings.operators),
        )
        closed = await self.store.close_resolved(queue.auto_close_days) if queue.auto_close_days > 0 else []
        return Sweep(escalated, closed)


async def relay_notices(
    store: CaseStore, notifier: Notifier, render: Callable[[Notice], str], operator_id: str | None = None,
) -> int:
    """Pop waiting notices (one operator's, or everyone's) and pass them to the notifier; return how many.

    For everyone (a shared operators' group), an escalation sent to several operators is posted once,
    addressed to None; other notices keep their operator. A stale escalation is dropped (popped, so seen).
    """
    notices = await store.pop_notices(operator_id)
    posted: set[tuple[str, int]] = set()
    count = 0
    for notice in notices:
        if is_stale_alert(notice):
            continue
        if operator_id is None and notice.kind == "escalated":
            key = (notice.kind, notice.case.number)
            if key in posted:
                continue
            posted.add(key)
            await notifier.notify(None, render(notice))
        else:
            await notifier.notify(notice.operator_id, render(notice))
        count += 1
    return count


def is_stale_alert(notice: Notice) -> bool:
    """Say whether an overdue alert no longer asks anything: its case was taken, closed, or queued again since."""
    if notice.kind != "escalated":
        return False
    return notice.case.status != "open" or notice.created_at < notice.case.waiting_since()
