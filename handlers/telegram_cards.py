"""A case's card in the operators' group: rendered, posted, edited to match the store, pinned while urgent.

Where a case's card is (and whether it is pinned) is kept in the store's case posts, so after a restart, or
after a card Telegram refused, the bot edits the card it has instead of posting another. A card Telegram
refuses to edit or post is tried again at the sweeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from frontdesk.cases import ACTIVE_STATUSES, Case
from frontdesk.operators import localized
from handlers.telegram_citizens import PLATFORM
from handlers.telegram_group import ROOM_LOGGER, OperatorGroup, stored_id
from handlers.telegram_render import clip, escape
from handlers.telegram_threads import thread_gone

log = logging.getLogger(ROOM_LOGGER)

BUTTON_PREFIX = "op:"
MISSING_CARDS_PER_SWEEP = 5  # a few per sweep: Telegram allows a group about 20 messages a minute
STALE_CARD_TRIES = 10  # a card Telegram keeps refusing to edit is tried this many sweeps, then at the next change
CARD_QUESTION_CHARS = 2500  # the full text stays in the case log (/history); the card must fit 4096


@dataclass
class Card:
    """A case's card in the group: where it is and what it shows ("" html: not known since a restart)."""

    message_id: int
    thread_id: int | None
    html: str
    buttons: tuple[str, ...]
    pinned: bool = False


class CaseCards(OperatorGroup):
    """Keep every case's card in the group showing the case as the store has it (its topic: `CaseThreads`)."""

    cards: dict[int, Card]
    stale: dict[int, int]

    # -- what a card shows ----------------------------------------------------------------------------

    def card_html(self, case: Case) -> str:
        """Render a case card: number, priority, reason, category, citizen, language, question and state."""
        ops = self.services.operators
        label = ops.label(case.number)
        title = self.say("card_title_urgent" if case.priority == "urgent" else "card_title", case=label)
        status = ops.say(f"status_{case.status}")
        if case.status == "claimed" and case.operator_id:
            status = self.say("card_claimed", status=status, operator=self.operator_name(case.operator_id))
        body = self.say(
            "card_body", status=status, priority=self._name("priority", case.priority),
            reason=self._name("reason", case.reason), category=case.category or self.say("card_no_category"),
            name=case.citizen.display_name or case.citizen.user_id, lang_name=self._name("language", case.language),
            question=clip(case.question, CARD_QUESTION_CHARS),
        )
        lines = [f"<b>{escape(title)}</b>", escape(body)]
        if case.department:
            department = localized(self.services.settings.departments.get(case.department, case.department),
                                   self.language)
            lines.append(escape(self.say("card_forwarded", department=department)))
        if case.status == "open" and case.escalated_at is not None:
            lines.append(f"<b>{escape(self.say('card_overdue'))}</b>")
        if case.citizen_blocked:
            lines.append(f"<b>{escape(self.say('card_blocked'))}</b>")
        if case.status in ACTIVE_STATUSES:
            hint = "card_hint_topic" if self.forum else "card_hint"
            lines.append(f"\n<i>{escape(self.say(hint))}</i>")
        return "\n".join(lines)

    @staticmethod
    def card_buttons(case: Case) -> tuple[str, ...]:
        """Return the actions a card offers in the case's state."""
        if case.status == "open":
            return ("take", "resolve")
        if case.status == "claimed":
            return ("resolve",)
        return ()

    def card_markup(self, case: Case, buttons: tuple[str, ...]) -> InlineKeyboardMarkup | None:
        """Render the card's buttons (接单 / Take, 办结 / Resolve)."""
        if not buttons:
            return None
        return InlineKeyboardMarkup([[
            InlineKeyboardButton(self.say(f"button_{action}"), callback_data=f"{BUTTON_PREFIX}{action}:{case.number}")
            for action in buttons
        ]])

    def _name(self, kind: str, value: str) -> str:
        key = f"{kind}_{value}"
        return self.services.operators.say(key) if key in self.services.operators.phrases.phrases else value

    # -- posting and editing ------------------------------------------------------------------------

    async def post_card(self, bot, case: Case, *, gone_thread: int | None = None) -> Card:
        """Post a new card for a case and remember it; in a forum, in the case's topic (opened if it has none).

        A topic once opened is the case's for good: a card Telegram refused (a 502) is posted later in the same
        topic. If the topic was deleted (`gone_thread`, or Telegram says so now), the case gets a new one.
        """
        html, buttons = self.card_html(case), self.card_buttons(case)
        markup = self.card_markup(case, buttons)
        thread_id = await self._topic(bot, case, gone_thread) if self.forum else None
        try:
            sent = await bot.send_message(self.chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                          message_thread_id=thread_id)
        except BadRequest as exc:
            if thread_id is None or not thread_gone(exc):
                raise
            log.warning("the forum topic of case %s is gone; opening a new one", case.number)
            thread_id = await self._topic(bot, case, thread_id)
            sent = await bot.send_message(self.chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                          message_thread_id=thread_id)
        await self.services.store.add_case_post(case.number, PLATFORM, str(self.chat_id), str(sent.message_id),
                                                "card", thread_id=stored_id(thread_id))
        card = Card(sent.message_id, thread_id, html, buttons)
        self.cards[case.number] = card
        await self._sync_pin(bot, case, card)
        return card

    async def known_card(self, number: int) -> Card | None:
        """Return the case's card in this group: the cached one, else the latest the store recorded, else None."""
        card = self.cards.get(number)
        if card is not None:
            return card
        post = await self._latest_post(number, "card")
        if post is None:
            return None
        thread_id = int(post.thread_id) if post.thread_id else None
        card = Card(int(post.message_id), thread_id, "", (), pinned=post.pinned)  # what it shows is not known
        self.cards[number] = card
        return card

    async def refresh_card(self, bot, number: int) -> None:
        """Edit a case's card to show the case as it is now (posting one if an active case has none).

        The change to the case has happened whatever Telegram answers: a card it refuses to edit or post just
        now (a 400 such as MESSAGE_ID_INVALID, a 5xx, a timeout) is logged and tried again at the next sweeps.
        """
        try:
            await self._update_card(bot, number)
        except TelegramError as exc:
            self._card_failed(number, exc)
        else:
            self.stale.pop(number, None)

    def _card_failed(self, number: int, exc: TelegramError) -> None:
        """Log a card Telegram refused to update and keep it for the next sweeps (a few times, then drop it)."""
        tries = self.stale.get(number, 0) + 1
        if tries < STALE_CARD_TRIES:
            self.stale[number] = tries
            log.warning("cannot update the card of case %s (%s); the next sweep tries again",
                        number, type(exc).__name__)
        else:
            self.stale.pop(number, None)
            log.warning("cannot update the card of case %s (%s) after %s tries; waiting for its next change",
                        number, type(exc).__name__, tries)

    async def _update_card(self, bot, number: int) -> None:
        """Edit a case's card to match the store, or post it; Telegram's errors are the caller's to handle."""
        async with self._lock(number):
            case = await self.services.store.get_case(number)
            if case is None:
                return
            card = await self.known_card(number)
            if card is None:
                if case.status in ACTIVE_STATUSES:
                    await self.post_card(bot, case)
                return
            html, buttons = self.card_html(case), self.card_buttons(case)
            if html != card.html or buttons != card.buttons:
                try:
                    await bot.edit_message_text(html, self.chat_id, card.message_id, parse_mode=ParseMode.HTML,
                                                reply_markup=self.card_markup(case, buttons))
                except BadRequest as exc:
                    reason = str(exc).lower()
                    if "message to edit not found" in reason:  # someone deleted the card: an active case gets a new one
                        log.warning("the card of case %s is gone from the group", number)
                        del self.cards[number]
                        if case.status in ACTIVE_STATUSES:
                            await self.post_card(bot, case)
                        return
                    if "not modified" not in reason:
                        raise
                card.html, card.buttons = html, buttons
            await self._sync_pin(bot, case, card)
            if case.status not in ACTIVE_STATUSES and not card.pinned:
                self.cards.pop(number, None)  # a finished case's card stays findable in the store

    async def post_missing_cards(self, bot) -> None:
        """Post cards for active cases the group has none for, and retry the cards Telegram refused lately."""
        missing = await self.services.store.cases_without_post(PLATFORM, str(self.chat_id), "card",
                                                               MISSING_CARDS_PER_SWEEP)
        # missing: opened on another platform, or before a crash; stale: an edit or post failed; a few of each
        stale = [number for number in self.stale if number not in missing][:MISSING_CARDS_PER_SWEEP]
        for number in [*missing, *stale]:  # a failure is logged and kept for the next sweep
            await self.refresh_card(bot, number)

    async def _sync_pin(self, bot, case: Case, card: Card) -> None:
        """Pin an urgent active case's card; unpin it once the case is no longer active."""
        want = case.priority == "urgent" and case.status in ACTIVE_STATUSES
        if want == card.pinned:
            return
        try:
            if want:
                await bot.pin_chat_message(self.chat_id, card.message_id, disable_notification=False)
            else:
                await bot.unpin_chat_message(self.chat_id, card.message_id)
            card.pinned = want
            await self.services.store.set_post_pinned(PLATFORM, str(self.chat_id), str(card.message_id), want)
        except Forbidden:
            log.warning("cannot %s the card of case %s: give the bot the right to pin messages",
                        "pin" if want else "unpin", case.number)
        except BadRequest as exc:  # e.g. the card was unpinned or deleted by hand: Telegram's reason says which
            log.warning("cannot %s the card of case %s: %s", "pin" if want else "unpin", case.number, exc.message)
