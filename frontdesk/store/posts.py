"""Case posts: the messages posted about a case on an operators' platform, so replies there thread to it.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations

from frontdesk.cases import CasePost
from frontdesk.store.rows import post_from


class PostRecords:
    """Remember where cases were posted and find the case of a post."""

    async def add_case_post(
        self, case_number: int, platform: str, chat_id: str, message_id: str, kind: str,
        *, thread_id: str | None = None,
    ) -> None:
        """Remember a message posted about a case (its card, a forwarded citizen line), and its topic if any."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO case_posts (platform, chat_id, message_id, case_number, kind, thread_id, created_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
                (platform, str(chat_id), str(message_id), case_number, kind,
                 None if thread_id is None else str(thread_id), self.clock()),
            )

    async def case_for_post(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """Return the case a posted message belongs to, or None."""
        async with self._read() as db:
            row = await self._one(
                db, "SELECT case_number FROM case_posts WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (platform, str(chat_id), str(message_id)),
            )
        return row["case_number"] if row else None

    async def case_posts(self, case_number: int, platform: str) -> list[CasePost]:
        """Return what was posted about a case on a platform, oldest first."""
        async with self._read() as db:
            rows = await self._all(
                db, "SELECT * FROM case_posts WHERE case_number = ? AND platform = ? ORDER BY created_at, rowid",
                (case_number, platform),
            )
        return [post_from(r) for r in rows]

    async def cases_without_post(self, platform: str, chat_id: str, kind: str, limit: int) -> list[int]:
        """Return up to `limit` active cases with no post of `kind` in a chat, most urgent and oldest first."""
        async with self._read() as db:
            rows = await self._all(
                db, """SELECT number FROM cases c WHERE status IN ('open', 'claimed') AND NOT EXISTS
                         (SELECT 1 FROM case_posts p WHERE p.case_number = c.number AND p.platform = ?
                          AND p.chat_id = ? AND p.kind = ?)
                       ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, number
                       LIMIT ?""",
                (platform, str(chat_id), kind, limit),
            )
        return [r["number"] for r in rows]

    async def set_post_pinned(self, platform: str, chat_id: str, message_id: str, pinned: bool) -> None:
        """Record that a posted message was pinned or unpinned."""
        async with self._write() as db:
            await db.execute(
                "UPDATE case_posts SET pinned = ? WHERE platform = ? AND chat_id = ? AND message_id = ?",
                (int(pinned), platform, str(chat_id), str(message_id)),
            )
