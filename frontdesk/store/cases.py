"""Cases as records: open one, find them by number, citizen or holder, follow the citizen to the chat they
last wrote from and to the language they chose, find the question a case would start from, and say why a step
was refused.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock;
the case log's first line and event are written by CaseLog.
"""

from __future__ import annotations

from frontdesk.cases import PRIORITIES, Case, CaseError, Interaction
from frontdesk.clock import DAY
from frontdesk.model import Citizen
from frontdesk.store.rows import case_from, interaction_from


class CaseRecords:
    """Open cases and look them up."""

    async def open_case(
        self,
        citizen: Citizen,
        *,
        reason: str,
        priority: str,
        question: str,
        language: str,
        category: str | None = None,
        message_id: str | None = None,
    ) -> Case:
        """Open a case with the citizen's question as its first message.

        When the citizen already has an active case (a second handoff racing the first), the question goes
        into that case instead, whose priority is raised if the new one is more urgent.
        """
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}")
        async with self._write() as db:
            now = self.clock()
            await db.execute(
                """INSERT INTO citizens (platform, user_id, chat_id, display_name, updated_at) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (platform, user_id) DO UPDATE SET chat_id = excluded.chat_id,
                       display_name = excluded.display_name, updated_at = excluded.updated_at""",
                (citizen.platform, citizen.user_id, citizen.chat_id, citizen.display_name, now),
            )
            row = await self._one(
                db, "SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status IN ('open', 'claimed')",
                (citizen.platform, citizen.user_id),
            )
            if row is not None:
                number = row["number"]
                await self._insert_message(db, number, "citizen", question, now, platform_message_id=message_id)
                if PRIORITIES.index(priority) < PRIORITIES.index(row["priority"]):
                    await db.execute("UPDATE cases SET priority = ?, updated_at = ? WHERE number = ?",
                                     (priority, now, number))
                    await self._event(db, number, "priority_raised", f"citizen:{citizen.user_id}", now,
                                      detail=f"{row['priority']} -> {priority} ({reason})")
                return case_from(await self._one(db, "SELECT * FROM cases WHERE number = ?", (number,)))
            row = await self._one(
                db,
                """INSERT INTO cases (platform, user_id, chat_id, display_name, citizen_language, language, reason,
                       category, priority, status, question, created_at, updated_at, queued_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?) RETURNING *""",
                (citizen.platform, citizen.user_id, citizen.chat_id, citizen.display_name, citizen.language,
                 language, reason, category, priority, question, now, now, now),
            )
            case = case_from(row)
            await self._insert_message(db, case.number, "citizen", question, now, platform_message_id=message_id)
            await self._event(db, case.number, "opened", f"citizen:{citizen.user_id}", now, detail=reason)
            return case

    async def citizen_wrote_from(self, case_number: int, chat_id: str, actor: str) -> None:
        """Make the chat the citizen just wrote from about the case its reply chat, reachable; record the changes.

        Operators' replies and the case's notices go to the case's chat: after this, to the chat the citizen
        last used (their private chat rather than the group the case was opened in). Replies still waiting in
        the outbox follow; the case's log stays as it is.
        """
        chat_id = str(chat_id)
        async with self._write() as db:
            now = self.clock()
            row = await self._one(db, "SELECT chat_id FROM cases WHERE number = ?", (case_number,))
            if row is None:
                raise CaseError("not_found", f"no case #{case_number}")
            if row["chat_id"] != chat_id:
                await self._move_reply_chat(db, case_number, row["chat_id"], chat_id, actor, now)
            await self._unblock(db, case_number, chat_id, actor, now)

    async def _move_reply_chat(self, db, number: int, old_chat: str, chat_id: str, actor: str, now: float) -> None:
        """Point the case and its waiting replies at another chat, with a 'chat_moved' event."""
        await db.execute("UPDATE cases SET chat_id = ?, updated_at = ? WHERE number = ?", (chat_id, now, number))
        await db.execute("UPDATE outbox SET chat_id = ? WHERE case_number = ? AND status = 'pending'",
                         (chat_id, number))
        await self._event(db, number, "chat_moved", actor, now, detail=f"{old_chat} -> {chat_id}")

    async def set_case_language(self, case_number: int, language: str, line: str) -> bool:
        """Conduct an active case in another language, with `line` in its log as a system line; say if it changed."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET language = ?, updated_at = ?
                       WHERE number = ? AND status IN ('open', 'claimed') AND language <> ? RETURNING number""",
                (language, now, case_number, language),
            )
            if row is None:
                return False
            await self._insert_message(db, case_number, "system", line, now)
            return True

    async def citizen_question(self, platform: str, user_id: str, interaction_id: int) -> Interaction | None:
        """Return a question this citizen asked (a logged interaction), or None when it is not theirs or is gone."""
        async with self._read() as db:
            row = await self._one(
                db, "SELECT * FROM interactions WHERE id = ? AND platform = ? AND user_id = ?",
                (interaction_id, platform, user_id),
            )
        return interaction_from(row) if row else None

    async def active_case_for(self, platform: str, user_id: str) -> Case | None:
        """Return the citizen's open or claimed case, if any."""
        async with self._read() as db:
            row = await self._one(
                db, """SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status IN ('open', 'claimed')
                       ORDER BY number DESC LIMIT 1""",
                (platform, user_id),
            )
        return case_from(row) if row else None

    async def reopenable_case_for(self, platform: str, user_id: str, within_days: float) -> Case | None:
        """Return the citizen's case resolved within the last `within_days`, if any."""
        async with self._read() as db:
            row = await self._one(
                db, """SELECT * FROM cases WHERE platform = ? AND user_id = ? AND status = 'resolved'
                           AND resolved_at >= ? ORDER BY resolved_at DESC LIMIT 1""",
                (platform, user_id, self.clock() - within_days * DAY),
            )
        return case_from(row) if row else None

    async def get_case(self, case_number: int) -> Case | None:
        """Return the case with this number, or None."""
        async with self._read() as db:
            row = await self._one(db, "SELECT * FROM cases WHERE number = ?", (case_number,))
        return case_from(row) if row else None

    async def cases_of(self, operator_id: str) -> list[Case]:
        """Return the cases an operator holds, oldest first."""
        async with self._read() as db:
            rows = await self._all(
                db, "SELECT * FROM cases WHERE status = 'claimed' AND operator_id = ? ORDER BY created_at, number",
                (operator_id,),
            )
        return [case_from(r) for r in rows]

    async def _refuse(self, db, number: int, operator_id: str | None, expected: str) -> CaseError:
        """Explain why a conditional update found no row: missing case, someone else's, or the wrong state.

        `expected` is the state the step needed: "open", "claimed", "resolved", "active", or "held" (claimed or
        resolved, by this operator).
        """
        row = await self._one(db, "SELECT status, operator_id FROM cases WHERE number = ?", (number,))
        if row is None:
            return CaseError("not_found", f"no case #{number}")
        status, holder = row["status"], row["operator_id"]
        if expected == "open" and status == "claimed":
            if holder == operator_id:
                return CaseError("already_yours", f"case #{number} is already yours", holder=holder, status=status)
            return CaseError("taken", f"case #{number} is held by {holder}", holder=holder, status=status)
        if expected == "claimed" and status == "claimed" and holder != operator_id:
            return CaseError("not_owner", f"case #{number} is held by {holder}", holder=holder, status=status)
        if expected == "held" and status in ("claimed", "resolved") and holder != operator_id:
            return CaseError("not_owner", f"case #{number} is {status} by {holder}", holder=holder, status=status)
        return CaseError("bad_state", f"case #{number} is {status}", holder=holder, status=status)
