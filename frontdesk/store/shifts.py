"""Duty shifts: which operators are on duty.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations

# The operators on duty, as a subquery for conditional updates.
ON_DUTY = "(SELECT operator_id FROM operator_shifts WHERE on_duty = 1)"


class Shifts:
    """Record operators' shifts and say who is on duty."""

    async def set_on_duty(self, operator_id: str, on_duty: bool) -> None:
        """Record that an operator started or ended a shift."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO operator_shifts (operator_id, on_duty, since) VALUES (?, ?, ?)
                   ON CONFLICT (operator_id) DO UPDATE SET on_duty = excluded.on_duty, since = excluded.since""",
                (operator_id, int(on_duty), self.clock()),
            )

    async def on_duty_operators(self) -> list[str]:
        """Return the ids of the operators on duty."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT operator_id FROM operator_shifts WHERE on_duty = 1 ORDER BY since")
        return [r["operator_id"] for r in rows]
