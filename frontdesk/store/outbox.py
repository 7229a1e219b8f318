"""The outbox: replies to citizens stored with their case-log line, leased to senders, marked as they go.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock;
the case-log line comes from CaseLog, the failure notice from Notices, and CaseRecords explains
a refusal.
"""

from __future__ import annotations

from frontdesk.cases import OutboxItem
from frontdesk.store.rows import marks, outbox_item_from


class OutboxRecords:
    """Store replies for delivery and record how each delivery went."""

    async def enqueue(
        self, case_number: int | None, platform: str, chat_id: str, text: str, author_operator: str | None,
    ) -> OutboxItem:
        """Store a reply and its case-log line in one transaction, for delivery by the platform's sender.

        An operator's reply is refused unless that operator holds the case; bot notices (author None) are not.
        """
        async with self._write() as db:
            now = self.clock()
            if case_number is not None and author_operator is not None:
                row = await self._one(db, "SELECT status, operator_id FROM cases WHERE number = ?", (case_number,))
                if row is None or row["status"] != "claimed" or row["operator_id"] != author_operator:
                    raise await self._refuse(db, case_number, author_operator, "claimed")
            return await self._enqueue(db, case_number, platform, chat_id, text, author_operator, now)

    async def claim_due(
        self, platforms: tuple[str, ...], *, chat_id: str | None = None, lease: float = 60.0, limit: int = 20,
    ) -> list[OutboxItem]:
        """Lease the items due for delivery, at most the oldest pending one per chat so each chat stays in order.

        The lease (next_attempt_at moved `lease` seconds ahead) keeps other workers off an item while it is
        being sent; if this process dies mid-send, the item becomes due again when the lease runs out.
        """
        if not platforms:
            return []
        async with self._write() as db:
            now = self.clock()
            chat = "AND o.chat_id = ?" if chat_id is not None else ""
            params = [*platforms, *([chat_id] if chat_id is not None else []), now, limit]
            rows = await self._all(
                db, f"""SELECT o.id FROM outbox o
                        WHERE o.status = 'pending' AND o.platform IN ({marks(platforms)}) {chat}
                          AND o.id = (SELECT MIN(p.id) FROM outbox p WHERE p.status = 'pending'
                                      AND p.platform = o.platform AND p.chat_id = o.chat_id)
                          AND o.next_attempt_at <= ?
                        ORDER BY o.id LIMIT ?""",
                params,
            )
            ids = [r["id"] for r in rows]
            if not ids:
                return []
            leased = await self._all(
                db, f"""UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?
                        WHERE id IN ({marks(ids)}) RETURNING *""",
                [now + lease, *ids],
            )
        return sorted((outbox_item_from(r) for r in leased), key=lambda item: item.id)

    async def mark_delivered(self, item_id: int, platform_message_id: str | None) -> None:
        """Record a successful delivery (and the platform's id for it on the case-log line)."""
        async with self._write() as db:
            row = await self._one(
                db, """UPDATE outbox SET status = 'delivered', delivered_at = ?, platform_message_id = ?,
                           last_error = NULL WHERE id = ? AND status = 'pending' RETURNING message_id""",
                (self.clock(), platform_message_id, item_id),
            )
            if row is not None and row["message_id"] is not None and platform_message_id is not None:
                await db.execute("UPDATE OR IGNORE case_messages SET platform_message_id = ? WHERE id = ?",
                                 (platform_message_id, row["message_id"]))

    async def mark_retry(self, item_id: int, next_attempt_at: float, error: str) -> None:
        """Record a failed attempt and when to try again."""
        async with self._write() as db:
            await db.execute(
                "UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'",
                (next_attempt_at, error[:500], item_id),
            )

    async def mark_failed(self, item_id: int, error: str) -> None:
        """Give up on an item for good; the operator who wrote it gets a notice."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status = 'pending'
                       RETURNING case_number, author_operator""",
                (error[:500], item_id),
            )
            if row is not None and row["author_operator"] and row["case_number"] is not None:
                await self._notice(db, row["author_operator"], "undeliverable", row["case_number"], now,
                                   detail=error[:200])

    async def mark_citizen_blocked(self, case_number: int) -> None:
        """Record that the citizen blocked the bot, so operators know replies cannot reach them."""
        async with self._write() as db:
            now = self.clock()
            row = await self._one(
                db, """UPDATE cases SET citizen_blocked = 1, updated_at = ?
                       WHERE number = ? AND citizen_blocked = 0 RETURNING number""",
                (now, case_number),
            )
            if row is not None:
                await self._event(db, case_number, "citizen_blocked", "system", now)

    async def mark_citizen_reachable(self, case_number: int, chat_id: str, actor: str = "system") -> bool:
        """Clear "citizen blocked the bot" when `chat_id` is the case's reply chat; say whether it was set."""
        async with self._write() as db:
            return await self._unblock(db, case_number, chat_id, actor, self.clock())

    async def outbox_items(self, case_number: int) -> list[OutboxItem]:
        """Return a case's outbox items in order, whatever their state."""
        async with self._read() as db:
            rows = await self._all(db, "SELECT * FROM outbox WHERE case_number = ? ORDER BY id", (case_number,))
        return [outbox_item_from(r) for r in rows]

    async def _unblock(self, db, number: int, chat_id: str, actor: str, now: float) -> bool:
        """Clear the case's "blocked" flag if `chat_id` is its reply chat, with a 'citizen_unblocked' event."""
        row = await self._one(
            db, """UPDATE cases SET citizen_blocked = 0, updated_at = ?
                   WHERE number = ? AND chat_id = ? AND citizen_blocked = 1 RETURNING number""",
            (now, number, str(chat_id)),
        )
        if row is None:
            return False
        await self._event(db, number, "citizen_unblocked", actor, now)
        return True

    async def _enqueue(self, db, number: int | None, platform: str, chat_id: str, text: str,
                       author_operator: str | None, now: float) -> OutboxItem:
        message_id = None
        if number is not None:
            message_id = await self._insert_message(
                db, number, "operator" if author_operator else "bot", text, now, operator_id=author_operator)
        row = await self._one(
            db,
            """INSERT INTO outbox (case_number, message_id, platform, chat_id, text, author_operator, status,
                   created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *""",
            (number, message_id, platform, chat_id, text, author_operator, now, now),
        )
        return outbox_item_from(row)
