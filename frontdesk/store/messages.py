"""A case's log: its messages (citizen, bot, operator, notes) and its events, in order.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations

from frontdesk.cases import AUTHORS, Case, CaseError, CaseEvent, CaseMessage
from frontdesk.model import Attachment
from frontdesk.store.rows import case_from, event_from, marks, message_from


class CaseLog:
    """Append to and read cases' messages and events."""

    async def add_message(
        self,
        case_number: int,
        author: str,
        text: str,
        *,
        operator_id: str | None = None,
        platform_message_id: str | None = None,
        attachment: Attachment | None = None,
    ) -> bool:
        """Append to a case's log; return False when this platform message id was already stored."""
        async with self._write() as db:
            now = self.clock()
            if await self._one(db, "SELECT 1 FROM cases WHERE number = ?", (case_number,)) is None:
                raise CaseError("not_found", f"no case #{case_number}")
            added = await self._insert_message(db, case_number, author, text, now, operator_id=operator_id,
                                               platform_message_id=platform_message_id, attachment=attachment)
            if added is not None:
                await db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", (now, case_number))
            return added is not None

    async def attach(self, case_number: int, platform_message_id: str, attachment: Attachment) -> bool:
        """Attach a file to the citizen's line stored for a platform message (a photo whose caption opened the case).

        Say whether a line without an attachment was found for it.
        """
        async with self._write() as db:
            row = await self._one(
                db, """UPDATE case_messages SET attachment_kind = ?, attachment_ref = ?, attachment_caption = ?
                       WHERE case_number = ? AND author = 'citizen' AND platform_message_id = ?
                         AND attachment_kind IS NULL RETURNING id""",
                (attachment.kind, attachment.ref, attachment.caption, case_number, platform_message_id),
            )
            return row is not None

    async def add_note(self, case_number: int, operator_id: str, text: str) -> CaseMessage:
        """Add an internal note (never shown to the citizen) to any case."""
        async with self._write() as db:
            now = self.clock()
            if await self._one(db, "SELECT 1 FROM cases WHERE number = ?", (case_number,)) is None:
                raise CaseError("not_found", f"no case #{case_number}")
            message_id = await self._insert_message(db, case_number, "note", text, now, operator_id=operator_id)
            row = await self._one(db, "SELECT * FROM case_messages WHERE id = ?", (message_id,))
            return message_from(row)

    async def messages(self, case_number: int) -> list[CaseMessage]:
        """Return a case's log in order."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM case_messages WHERE case_number = ? ORDER BY id", (case_number,))
        return [message_from(r) for r in rows]

    async def events(self, case_number: int) -> list[CaseEvent]:
        """Return a case's steps in order."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM case_events WHERE case_number = ? ORDER BY id", (case_number,))
        return [event_from(r) for r in rows]

    async def citizen_messages_since(
        self, after_id: int, operator_id: str | None = None,
    ) -> list[tuple[Case, CaseMessage]]:
        """Return citizen lines newer than `after_id` on active cases (held by `operator_id`, if given)."""
        async with self._read(snapshot=True) as db:
            holder = "AND c.operator_id = ?" if operator_id else ""
            params: tuple = (after_id, operator_id) if operator_id else (after_id,)
            rows = await self._all(
                db, f"""SELECT m.* FROM case_messages m JOIN cases c ON c.number = m.case_number
                        WHERE m.id > ? AND m.author = 'citizen' AND c.status IN ('open', 'claimed') {holder}
                        ORDER BY m.id""",
                params,
            )
            messages = [message_from(r) for r in rows]
            numbers = sorted({m.case_number for m in messages})
            cases = {r["number"]: case_from(r) for r in await self._all(
                db, f"SELECT * FROM cases WHERE number IN ({marks(numbers)})", numbers)} if numbers else {}
        return [(cases[m.case_number], m) for m in messages]

    async def last_message_id(self) -> int:
        """Return the newest log line id (a cursor for citizen_messages_since)."""
        async with self._read() as db:
            row = await self._one(db, "SELECT COALESCE(MAX(id), 0) AS id FROM case_messages")
        return row["id"]

    async def _insert_message(self, db, number: int, author: str, text: str, now: float, *,
                              operator_id: str | None = None, platform_message_id: str | None = None,
                              attachment: Attachment | None = None) -> int | None:
        if author not in AUTHORS:
            raise ValueError(f"unknown author {author!r}; use one of {', '.join(AUTHORS)}")
        row = await self._one(
            db,
            """INSERT INTO case_messages (case_number, author, text, operator_id, platform_message_id,
                   attachment_kind, attachment_ref, attachment_caption, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT DO NOTHING RETURNING id""",
            (number, author, text, operator_id, platform_message_id,
             attachment.kind if attachment else None, attachment.ref if attachment else None,
             attachment.caption if attachment else None, now),
        )
        return row["id"] if row else None

    async def _event(self, db, number: int, kind: str, actor: str, now: float,
                     target: str | None = None, detail: str | None = None) -> None:
        await db.execute(
            "INSERT INTO case_events (case_number, kind, actor, at, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (number, kind, actor, now, target, detail or None),
        )
