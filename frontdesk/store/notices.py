"""Notices: what an operator must be told (an escalation, a transfer, a withdrawal), kept until shown.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations

from frontdesk.cases import Notice
from frontdesk.store.rows import case_from, marks


class Notices:
    """Leave notices for operators and hand them out once."""

    async def pop_notices(self, operator_id: str | None = None) -> list[Notice]:
        """Return and mark seen the notices waiting for an operator (or for everyone when None)."""
        async with self._write() as db:
            where = "seen_at IS NULL" + (" AND operator_id = ?" if operator_id else "")
            rows = await self._all(db, f"UPDATE notices SET seen_at = ? WHERE {where} RETURNING *",
                                   (self.clock(), operator_id) if operator_id else (self.clock(),))
            if not rows:
                return []
            numbers = sorted({r["case_number"] for r in rows})
            cases = {r["number"]: case_from(r) for r in await self._all(
                db, f"SELECT * FROM cases WHERE number IN ({marks(numbers)})", numbers)}
        return [Notice(r["id"], r["operator_id"], r["kind"], cases[r["case_number"]], r["actor"], r["detail"],
                       r["created_at"]) for r in sorted(rows, key=lambda r: r["id"])]

    async def _notice(self, db, operator_id: str, kind: str, number: int, now: float,
                      actor: str | None = None, detail: str | None = None) -> None:
        await db.execute(
            "INSERT INTO notices (operator_id, kind, case_number, actor, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (operator_id, kind, number, actor, detail or None, now),
        )
