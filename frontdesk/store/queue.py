"""The queue of open cases: its order, a case's place in it, the handover view, and overdue escalation.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock;
events come from CaseLog and notices from Notices.
"""

from __future__ import annotations

from frontdesk.cases import PRIORITIES, Case, HandoverItem
from frontdesk.store.rows import case_from, message_from

DEFAULT_CLAIM_LIMITS = {"urgent": 300.0, "high": 1800.0, "normal": 7200.0}
_RANK = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END"
_DUE = "(queued_at + CASE priority WHEN 'urgent' THEN :urgent WHEN 'high' THEN :high ELSE :normal END)"
# The queue order everywhere: overdue first, then urgent before high before normal, then oldest.
_QUEUE_ORDER = f"({_DUE} <= :now) DESC, {_RANK}, created_at, number"


class CaseQueue:
    """Read the queue in order and escalate what waited too long."""

    async def queue(self, limit: int = 20) -> tuple[list[Case], int]:
        """Return the first `limit` open cases (overdue, then urgent first, then oldest) and how many are open."""
        async with self._read(snapshot=True) as db:
            rows = await self._all(
                db, f"SELECT * FROM cases WHERE status = 'open' ORDER BY {_QUEUE_ORDER} LIMIT :limit",
                {**self._due_params(self.clock()), "limit": limit},
            )
            total = await self._one(db, "SELECT COUNT(*) AS n FROM cases WHERE status = 'open'")
        return [case_from(r) for r in rows], total["n"]

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

    async def handover(self) -> list[HandoverItem]:
        """Return every open and claimed case with its last message and undelivered replies."""
        async with self._read(snapshot=True) as db:
            rows = await self._all(
                db, f"""SELECT * FROM cases WHERE status IN ('open', 'claimed')
                        ORDER BY status = 'claimed', {_QUEUE_ORDER}""",
                self._due_params(self.clock()),
            )
            cases = [case_from(r) for r in rows]
            last = {r["case_number"]: message_from(r) for r in await self._all(
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
                case = case_from(row)
                await self._event(db, case.number, "escalated", "system", now, detail=",".join(recipients))
                for operator_id in recipients:
                    await self._notice(db, operator_id, "escalated", case.number, now, actor="system")
                escalated.append((case, recipients))
            return escalated

    def _due_params(self, now: float) -> dict[str, float]:
        return {"now": now, **{p: float(self.claim_limits.get(p, DEFAULT_CLAIM_LIMITS[p])) for p in PRIORITIES}}
