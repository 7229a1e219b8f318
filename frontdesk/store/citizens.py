"""Citizens: the language each one chose.

Part of SqliteStore, which gives it the connection (`_read`, `_write`, `_one`, `_all`) and the clock.
"""

from __future__ import annotations


class CitizenRecords:
    """Remember and recall a citizen's chosen language."""

    async def citizen_language(self, platform: str, user_id: str) -> str | None:
        """Return the language the citizen chose with /lang, if any."""
        async with self._read() as db:
            row = await self._one(db, "SELECT language FROM citizens WHERE platform = ? AND user_id = ?",
                                  (platform, user_id))
        return row["language"] if row else None

    async def set_citizen_language(self, platform: str, user_id: str, language: str) -> None:
        """Remember the citizen's chosen language."""
        async with self._write() as db:
            await db.execute(
                """INSERT INTO citizens (platform, user_id, language, updated_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (platform, user_id) DO UPDATE SET language = excluded.language,
                       updated_at = excluded.updated_at""",
                (platform, user_id, language, self.clock()),
            )
