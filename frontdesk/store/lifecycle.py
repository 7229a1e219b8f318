"""The steps of a case after it opens: claim, release, transfer, forward, resolve, mark for FAQ, reopen, cancel, close.

Each step is one conditional UPDATE in one transaction, with its event, notices and citizen notice.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock;
events come from CaseLog, notices from Notices, citizen notices go out through OutboxRecords,
and CaseRecords explains a refusal.
"""

from __future__ import annotations

import sqlite3

from frontdesk.cases import Case, CaseError, CitizenNotice
from frontdesk.clock import DAY
from frontdesk.store.rows import case_from
from frontdesk.store.shifts import ON_DUTY


class CaseSteps:
    """Move cases through their lifecycle, recording each step."""

    async def claim(self, case_number: int, operator_id: str, *, citizen_notice: CitizenNotice | None = None) -> Case:
        """Take an open case in one conditional UPDATE; raise CaseError('taken', holder=...) when someone has it."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'claimed', operator_id = ?, claimed_at = ?,
                           first_claimed_at = COALESCE(first_claimed_at, ?), updated_at = ?
                       WHERE number = ? AND status = 'open' RETURNING *""",
                (operator_id, now, now, now, case_number),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "open")
            case = case_from(row)
            await self._event(db, case_number, "claimed", operator_id, now,
                              detail=f"waited {now - case.waiting_since():.0f}s")
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def release(self, case_number: int, operator_id: str, *, force: bool = False) -> Case:
        """Put a claimed case back in the queue (force: a supervisor acting on another's case)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'open', operator_id = NULL, claimed_at = NULL, queued_at = ?,
                           escalated_at = NULL, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND (operator_id = ? OR ?) RETURNING *""",
                (now, now, case_number, operator_id, force),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            await self._event(db, case_number, "released", operator_id, now)
            return case_from(row)

    async def transfer(
        self, case_number: int, operator_id: str, to_operator: str, why: str = "", *, force: bool = False,
    ) -> Case:
        """Hand a claimed case to another operator, who gets a notice (force: a supervisor, also to themselves).

        A transfer to the operator who already holds the case is refused (CaseError 'already_holder').
        """
        if to_operator == operator_id and not force:
            raise CaseError("same_operator", "cannot transfer a case to yourself")
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET operator_id = ?, claimed_at = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND (operator_id = ? OR ?) AND operator_id <> ?
                       RETURNING *""",
                (to_operator, now, now, case_number, operator_id, force, to_operator),
            )
            if row is None:
                raise await self._transfer_refusal(db, case_number, operator_id, to_operator, force)
            await self._event(db, case_number, "transferred", operator_id, now, target=to_operator, detail=why)
            if to_operator != operator_id:
                await self._notice(db, to_operator, "transferred", case_number, now, actor=operator_id, detail=why)
            return case_from(row)

    async def take_over(self, case_number: int, operator_id: str, from_operator: str, *, absent: bool = False) -> Case:
        """Take a claimed case over from a holder who is off duty; the taker must be on duty.

        One conditional UPDATE, so of two operators taking over at once exactly one wins. `absent` says the
        holder is gone from the roster, so their stale shift record does not protect the case. The step is
        recorded as a 'taken_over' event (target: the previous holder), who gets a notice.
        """
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, f"""UPDATE cases SET operator_id = :taker, claimed_at = :now, updated_at = :now
                        WHERE number = :number AND status = 'claimed' AND operator_id = :holder
                          AND operator_id <> :taker AND (:absent OR operator_id NOT IN {ON_DUTY})
                          AND :taker IN {ON_DUTY} RETURNING *""",
                {"taker": operator_id, "now": now, "number": case_number, "holder": from_operator,
                 "absent": absent},
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "open")
            await self._event(db, case_number, "taken_over", operator_id, now, target=from_operator)
            await self._notice(db, from_operator, "taken_over", case_number, now, actor=operator_id)
            return case_from(row)

    async def forward(
        self, case_number: int, operator_id: str, department: str, why: str = "",
        *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Forward a claimed case to a department (转办); the operator keeps it to follow up and close it."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET department = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND operator_id = ? RETURNING *""",
                (department, now, case_number, operator_id),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            case = case_from(row)
            await self._event(db, case_number, "forwarded", operator_id, now, target=department, detail=why)
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def resolve(
        self, case_number: int, operator_id: str, summary: str = "", *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Mark a claimed case resolved (only by the operator who holds it)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'resolved', resolved_at = ?, summary = ?, updated_at = ?
                       WHERE number = ? AND status = 'claimed' AND operator_id = ? RETURNING *""",
                (now, summary or None, now, case_number, operator_id),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "claimed")
            case = case_from(row)
            await self._event(db, case_number, "resolved", operator_id, now, detail=summary)
            await self._notify_citizen(db, case, citizen_notice, now)
            return case

    async def mark_for_faq(
        self, case_number: int, operator_id: str, draft: str | None = None, *, force: bool = False,
    ) -> Case:
        """Mark a claimed or resolved case "add to FAQ" (its holder or resolver; force: the supervisor).

        A draft replaces the one stored before; without one the stored draft stays, and `faq gaps` falls back to
        the operator's last reply. Marking again is allowed and recorded again (the latest mark dates it).
        """
        draft = (draft or "").strip() or None
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET add_to_faq = 1, faq_draft = COALESCE(?, faq_draft), updated_at = ?
                       WHERE number = ? AND status IN ('claimed', 'resolved') AND (operator_id = ? OR ?)
                       RETURNING *""",
                (draft, now, case_number, operator_id, force),
            )
            if row is None:
                raise await self._refuse(db, case_number, operator_id, "held")
            await self._event(db, case_number, "marked_for_faq", operator_id, now, detail=draft)
            return case_from(row)

    async def reopen(self, case_number: int, actor: str) -> Case:
        """Put a resolved case back in the queue (unassigned; its last operator gets a notice).

        The citizen's new request starts afresh: no department, no summary (the old ones stay in the events).
        """
        async with self._write() as db:
            now = self.clock()
            before = await self._one(db, "SELECT operator_id FROM cases WHERE number = ?", (case_number,))
            try:
                row = await self._one(
                    db, """UPDATE cases SET status = 'open', operator_id = NULL, queued_at = ?, escalated_at = NULL,
                               resolved_at = NULL, claimed_at = NULL, department = NULL, summary = NULL,
                               updated_at = ?
                           WHERE number = ? AND status = 'resolved' RETURNING *""",
                    (now, now, case_number),
                )
            except sqlite3.IntegrityError:
                raise CaseError("already_active", f"the citizen of #{case_number} has another active case") from None
            if row is None:
                raise await self._refuse(db, case_number, None, "resolved")
            previous = before["operator_id"] if before else None
            await self._event(db, case_number, "reopened", actor, now, target=previous)
            if previous:
                await self._notice(db, previous, "reopened", case_number, now, actor=actor)
            return case_from(row)

    async def cancel(self, case_number: int, actor: str) -> Case:
        """Withdraw an active case at the citizen's request (its operator, if any, gets a notice)."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET status = 'cancelled', cancelled_at = ?, updated_at = ?
                       WHERE number = ? AND status IN ('open', 'claimed') RETURNING *""",
                (now, now, case_number),
            )
            if row is None:
                raise await self._refuse(db, case_number, None, "active")
            case = case_from(row)
            await self._event(db, case_number, "cancelled", actor, now)
            if case.operator_id:
                await self._notice(db, case.operator_id, "cancelled", case_number, now, actor=actor)
            return case

    async def close_resolved(self, older_than_days: float) -> list[int]:
        """Close resolved cases not reopened within `older_than_days`; return their numbers."""
        async with self._write() as db:
            now = self.clock()
            rows = await self._all(
                db, """UPDATE cases SET status = 'closed', closed_at = ?, updated_at = ?
                       WHERE status = 'resolved' AND resolved_at <= ? RETURNING number""",
                (now, now, now - older_than_days * DAY),
            )
            numbers = sorted(r["number"] for r in rows)
            for number in numbers:
                await self._event(db, number, "closed", "system", now)
            return numbers

    async def _transfer_refusal(self, db, number: int, operator_id: str, to_operator: str, force: bool) -> CaseError:
        """Explain a refused transfer: the usual reasons, or the target already holds the case."""
        row = await self._one(db, "SELECT status, operator_id FROM cases WHERE number = ?", (number,))
        held_by_target = row is not None and row["status"] == "claimed" and row["operator_id"] == to_operator
        if held_by_target and (force or to_operator == operator_id):
            return CaseError("already_holder", f"case #{number} is already held by {to_operator}",
                             holder=to_operator, status="claimed")
        return await self._refuse(db, number, operator_id, "claimed")

    async def _notify_citizen(self, db, case: Case, notice: CitizenNotice | None, now: float) -> None:
        if notice is None:
            return
        text = notice(case)
        if text:
            await self._enqueue(db, case.number, case.citizen.platform, case.citizen.chat_id, text, None, now)
