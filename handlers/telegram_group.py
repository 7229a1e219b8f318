"""What every part of the operators' room shares: the group's chat, its phrases, operators' names, case posts.

A message the bot posts about one case (a card, a line in its thread, a command answer, a notice) is recorded
in the store as one of the case's posts, so a reply to it reaches the case, and the room finds its cards and
topics again after a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Message
from telegram.constants import ParseMode

from frontdesk.operators import localized
from handlers.keyed_locks import KeyedLocks
from handlers.telegram_citizens import PLATFORM

if TYPE_CHECKING:
    from handlers.telegram_services import Services

ROOM_LOGGER = "handlers.telegram_operators"  # the room's parts log under the name the room always logged under


def stored_id(value: int | None) -> str | None:
    """Return an id as the store keeps it (text), or None."""
    return None if value is None else str(value)


def thread_of(message: Message) -> int | None:
    """Return the forum topic a message is in, or None in the main chat."""
    return message.message_thread_id if message.is_topic_message else None


class OperatorGroup:
    """The operators' group as the room's parts see it: its chat and phrases, operators' names, case posts."""

    services: Services
    chat_id: int
    forum: bool
    names: dict[str, str]
    _locks: KeyedLocks

    @property
    def language(self) -> str:
        """Return the duty team's language."""
        return self.services.operators.language

    def say(self, key: str, **fields: object) -> str:
        """Return a Telegram phrase in the duty team's language."""
        return self.services.phrases.say(key, self.language, **fields)

    def _lock(self, number: int):
        """Hold the case's card lock (forgotten when unused, so memory follows live work only)."""
        return self._locks.hold(number)

    def operator_name(self, operator_id: str) -> str:
        """Return an operator's configured name in the team's language, else their Telegram name, else the id."""
        operator = self.services.settings.operator(operator_id)
        if operator is not None and operator.name != operator_id:
            return localized(operator.name, self.language)
        return self.names.get(operator_id, operator_id)

    def saw_operator(self, user) -> str:
        """Remember the Telegram name of whoever acts in the group; return their operator id."""
        operator_id = str(user.id)
        if self.services.settings.operator(operator_id) is not None:
            self.names[operator_id] = user.full_name
        return operator_id

    async def post(self, bot, html: str) -> Message:
        """Post a message to the group's main chat."""
        return await bot.send_message(self.chat_id, html, parse_mode=ParseMode.HTML)

    async def remember(self, number: int, message: Message, kind: str) -> None:
        """Record a message the bot posted in the group as one of a case's posts, so replies to it reach the case."""
        await self.services.store.add_case_post(number, PLATFORM, str(self.chat_id), str(message.message_id), kind,
                                                thread_id=stored_id(thread_of(message)))

    async def _latest_post(self, number: int, kind: str):
        """Return the latest post of `kind` the store recorded for a case in this group, or None."""
        chat = str(self.chat_id)
        posts = [p for p in await self.services.store.case_posts(number, PLATFORM)
                 if p.kind == kind and p.chat_id == chat]
        return posts[-1] if posts else None
