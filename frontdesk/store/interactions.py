"""Interactions: each citizen question with what the desk decided, its feedback, and the period's figures.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations

from frontdesk.cases import DayReport, Interaction
from frontdesk.model import Citizen
from frontdesk.store.rows import interaction_from


class InteractionRecords:
    """Log questions and feedback, and count them for /stats and the reports."""

    async def log_interaction(
        self,
        citizen: Citizen,
        *,
        text: str,
        language: str,
        decision: str,
        intent: str | None,
        entry_id: str | None,
        score: float | None,
        case_number: int | None = None,
    ) -> int:
        """Record one question and what the desk decided; return its id (for feedback and reports)."""
        async with self._write() as db:
            row = await self._one(
                db, """INSERT INTO interactions (at, platform, user_id, language, text, decision, intent, entry_id,
                           score, case_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id""",
                (self.clock(), citizen.platform, citizen.user_id, language, text, decision, intent, entry_id,
                 score, case_number),
            )
            return row["id"]

    async def record_feedback(self, interaction_id: int, helpful: bool) -> None:
        """Store the citizen's helpful / not helpful verdict on an answer."""
        async with self._write() as db:
            await db.execute("UPDATE interactions SET helpful = ?, feedback_at = ? WHERE id = ?",
                             (int(helpful), self.clock(), interaction_id))

    async def interaction_text(self, interaction_id: int) -> str | None:
        """Return the question text of a logged interaction, or None."""
        async with self._read() as db:
            row = await self._one(db, "SELECT text FROM interactions WHERE id = ?", (interaction_id,))
        return row["text"] if row else None

    async def report(self, since: float, until: float) -> DayReport:
        """Return the figures for the period [since, until)."""
        span = (since, until)
        async with self._read(snapshot=True) as db:
            decisions = {r["decision"]: r["n"] for r in await self._all(
                db, "SELECT decision, COUNT(*) AS n FROM interactions WHERE at >= ? AND at < ? GROUP BY decision",
                span)}
            reasons = {r["reason"]: r["n"] for r in await self._all(
                db, "SELECT reason, COUNT(*) AS n FROM cases WHERE created_at >= ? AND created_at < ? GROUP BY reason",
                span)}
            claims = [r["s"] for r in await self._all(
                db, """SELECT first_claimed_at - created_at AS s FROM cases
                       WHERE first_claimed_at >= ? AND first_claimed_at < ?""", span)]
            resolves = [r["s"] for r in await self._all(
                db, """SELECT resolved_at - created_at AS s FROM cases
                       WHERE resolved_at >= ? AND resolved_at < ?""", span)]
            now = {r["status"]: r["n"] for r in await self._all(
                db, "SELECT status, COUNT(*) AS n FROM cases WHERE status IN ('open', 'claimed') GROUP BY status")}
        return DayReport(
            questions=sum(decisions.values()), decisions=decisions, cases_opened=sum(reasons.values()),
            handoffs_by_reason=reasons, claimed=len(claims), resolved=len(resolves), claim_seconds=claims,
            resolve_seconds=resolves, open_now=now.get("open", 0), claimed_now=now.get("claimed", 0),
        )

    async def interactions(self, since: float, until: float) -> list[Interaction]:
        """Return the questions logged in [since, until), oldest first (for gap mining and daily reports)."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM interactions WHERE at >= ? AND at < ? ORDER BY id",
                                   (since, until))
        return [interaction_from(r) for r in rows]
