"""A case's thread in the operators' group: posts under its card, in its forum topic when the group is a forum.

A topic once opened is the case's for good (it is recorded in the store's case posts); a case whose topic an
operator deleted gets a new topic and a new card.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from frontdesk.cases import Case
from handlers.telegram_citizens import PLATFORM
from handlers.telegram_group import ROOM_LOGGER, OperatorGroup, stored_id
from handlers.telegram_render import clip, escape

if TYPE_CHECKING:
    from handlers.telegram_cards import Card

log = logging.getLogger(ROOM_LOGGER)

THREAD_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")  # Telegram: the topic was deleted
TOPIC_NAME_CHARS = 128


def thread_gone(exc: TelegramError) -> bool:
    """Say whether Telegram refused a post because its forum topic no longer exists (an operator deleted it)."""
    return isinstance(exc, BadRequest) and any(reason in str(exc).lower() for reason in THREAD_GONE)


class CaseThreads(OperatorGroup):
    """Post under a case's card, opening, reusing or replacing its forum topic (cards come from `CaseCards`)."""

    async def _topic(self, bot, case: Case, gone: int | None) -> int | None:
        """Return the case's forum topic: the latest recorded (unless it is `gone`), else a new one, else None."""
        post = await self._latest_post(case.number, "topic")
        if post is not None and int(post.message_id) != gone:
            return int(post.message_id)
        name = self.say("topic_name", case=self.services.operators.label(case.number),
                        name=case.citizen.display_name or case.citizen.user_id)
        try:
            topic = await bot.create_forum_topic(self.chat_id, clip(name, TOPIC_NAME_CHARS))
        except TelegramError as exc:
            log.warning("cannot open a forum topic for case %s (%s); posting in the main chat",
                        case.number, type(exc).__name__)
            return None
        thread_id = topic.message_thread_id
        await self.services.store.add_case_post(case.number, PLATFORM, str(self.chat_id), str(thread_id), "topic",
                                                thread_id=str(thread_id))
        return thread_id

    async def _card_for(self, bot, case: Case) -> Card:
        """Return the case's card, posting one first if the case has none in this group."""
        async with self._lock(case.number):
            card = await self.known_card(case.number)
            return card if card is not None else await self.post_card(bot, case)

    async def _replace_card(self, bot, case: Case, gone: Card) -> Card:
        """Give a case whose forum topic was deleted a new card in a new topic (unless that happened meanwhile)."""
        async with self._lock(case.number):
            card = await self.known_card(case.number)
            if card is not None and card.thread_id != gone.thread_id:
                return card
            log.warning("the forum topic of case %s is gone; posting its card in a new one", case.number)
            self.cards.pop(case.number, None)
            case = await self.services.store.get_case(case.number) or case
            return await self.post_card(bot, case, gone_thread=gone.thread_id)

    async def _in_thread(self, bot, case: Case, send) -> tuple[Message, Card]:
        """Post with `send(card)` under a case's card; if its topic is gone, under a new card in a new topic."""
        card = await self._card_for(bot, case)
        try:
            return await send(card), card
        except BadRequest as exc:
            if card.thread_id is None or not thread_gone(exc):
                raise
        card = await self._replace_card(bot, case, card)
        return await send(card), card

    async def post_in_thread(self, bot, case: Case, text: str, kind: str) -> Message:
        """Post plain text (one message's worth) under a case's card and remember it belongs to the case."""

        def send(card: Card):
            return bot.send_message(
                self.chat_id, escape(text), parse_mode=ParseMode.HTML, message_thread_id=card.thread_id,
                reply_parameters=ReplyParameters(card.message_id, allow_sending_without_reply=True),
            )

        sent, card = await self._in_thread(bot, case, send)
        await self.services.store.add_case_post(case.number, PLATFORM, str(self.chat_id), str(sent.message_id),
                                                kind, thread_id=stored_id(card.thread_id))
        return sent

    async def copy_in_thread(self, bot, case: Case, source: tuple[int, int], caption: str | None) -> None:
        """Copy a citizen's attachment under a case's card (with an HTML caption) as one of the case's posts."""

        def send(card: Card):
            return bot.copy_message(
                self.chat_id, source[0], source[1], caption=caption,
                parse_mode=ParseMode.HTML if caption else None, message_thread_id=card.thread_id,
                reply_parameters=ReplyParameters(card.message_id, allow_sending_without_reply=True),
            )

        copied, card = await self._in_thread(bot, case, send)
        await self.services.store.add_case_post(case.number, PLATFORM, str(self.chat_id), str(copied.message_id),
                                                "citizen", thread_id=stored_id(card.thread_id))
