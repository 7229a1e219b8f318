"""Operators on Telegram: the group at OPERATOR_CHAT_ID, where every case has a card and reads as one thread.

`OperatorRoom` keeps the group showing the truth: it posts a case card when a case opens (pinned when urgent,
in its own topic when the group is a forum), threads the citizen's later messages under the card, and edits
the card whenever the case changes. Where a case's card and topic are (and whether the card is pinned) is kept
in the store's case posts, so after a restart, or after a card Telegram refused, the bot edits the card (and
uses the topic) it has instead of posting another. A citizen's line the group refuses waits in memory and is
posted again at the sweeps, in order; a case whose topic an operator deleted gets a new topic and card.
The bot's own messages about one case (command answers, notices) are posts of that case too.

`OperatorHandlers` turns what operators do there into OperatorDesk calls: commands go to
`OperatorDesk.execute`, the card's buttons to its action methods, and a Telegram reply to any message of a
case to `OperatorDesk.reply` (delivered to the citizen through the outbox); a reply to a bot message about no
single case (/queue) gets a hint. A case command sent as a reply to a case's message (or in its topic) acts on
that case, whatever its arguments start with. Only the ids in OPERATOR_IDS may act; anyone else is refused and
nothing changes. Commands addressed to another bot ("/take@other_bot") are left to that bot.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReactionTypeEmoji, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ContextTypes

from frontdesk.cases import ACTIVE_STATUSES, Case, Notice
from frontdesk.desk import COMMANDS as DESK_COMMANDS
from frontdesk.model import IncomingMessage
from frontdesk.operator_commands import case_number, first_word
from frontdesk.operators import localized
from handlers.keyed_locks import KeyedLocks
from handlers.telegram_citizens import PLATFORM
from handlers.telegram_render import MAX_CAPTION, MAX_TEXT, clip, escape, split_text

if TYPE_CHECKING:
    from handlers.telegram_services import Services

log = logging.getLogger(__name__)

BUTTON_PREFIX = "op:"
MISSING_CARDS_PER_SWEEP = 5  # a few per sweep: Telegram allows a group about 20 messages a minute
STALE_CARD_TRIES = 10  # a card Telegram keeps refusing to edit is tried this many sweeps, then at the next change
WAITING_LINES = 100  # citizen lines the group refused, kept (all cases together) to post again at the sweeps
LINE_TRIES = 20  # a refused citizen line is tried this many times (about ten minutes of sweeps), then dropped
WAITING_CASES_PER_SWEEP = 5  # cases whose waiting lines a sweep posts
THREAD_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")  # Telegram: the topic was deleted
CARD_QUESTION_CHARS = 2500  # the full text stays in the case log (/history); the card must fit 4096
TOPIC_NAME_CHARS = 128
CALLBACK_ANSWER_CHARS = 200
STORED_REACTION = "👍"  # set on an operator's reply once it is stored for delivery
CASE_COMMANDS = ("take", "reply", "note", "faq", "transfer", "release", "resolve", "history", "addfaq")
CASE_ONLY_COMMANDS = ("take", "release", "history")  # their only argument is the case: a bare "12" names it too
_COMMAND = re.compile(r"^/(\w+)(?:@(\S+))?(?:\s+(.*))?$", re.DOTALL)
_CASE_LABEL = re.compile(r"#[0-9]+")  # "#12": a case named explicitly
_CASE_WORD = re.compile(r"#?[0-9]+")
_CAPTIONED = ("photo", "document", "voice", "video", "other")


@dataclass
class Card:
    """A case's card in the group: where it is and what it shows ("" html: not known since a restart)."""

    message_id: int
    thread_id: int | None
    html: str
    buttons: tuple[str, ...]
    pinned: bool = False


@dataclass
class CitizenLine:
    """A citizen's message shown in their case's thread: text parts to post, or an attachment to copy."""

    parts: list[str]  # the text still to post, plain (escaped when sent)
    source: tuple[int, int] | None = None  # the citizen's (chat id, message id) to copy, for an attachment
    caption: str | None = None  # the copy's caption, HTML
    tries: int = 0  # posts the group refused so far


@dataclass(frozen=True)
class Command:
    """An operator's typed command as Telegram delivers it: "/name@bot args"."""

    name: str
    bot: str  # the bot it is addressed to ("" when it names none)
    args: str

    @classmethod
    def parse(cls, text: str) -> Command | None:
        """Read a typed command; None when the text is not one."""
        match = _COMMAND.match(text.strip())
        if match is None:
            return None
        return cls(match.group(1).lower(), (match.group(2) or "").lower(), (match.group(3) or "").strip())

    def named_case(self) -> int | None:
        """Return the case number the command's first argument names, if it names one."""
        return case_number(first_word(self.args)[0])

    def case_word(self) -> str | None:
        """Return the first argument when it names a case outright: "#12" (or "12" where only a case can follow)."""
        word = first_word(self.args)[0]
        pattern = _CASE_WORD if self.name in CASE_ONLY_COMMANDS else _CASE_LABEL
        return word if pattern.fullmatch(word) else None

    def other_case(self, number: int) -> str | None:
        """Return the label of the case the command names outright when that is not case `number`, else None."""
        word = self.case_word()
        if word is None or case_number(word) == number:
            return None
        return "#" + word.removeprefix("#")

    def on_case(self, number: int) -> str:
        """Return the command for the desk on case N: "/name #N", then the arguments verbatim (less a same "#N")."""
        word = self.case_word()
        args = first_word(self.args)[1] if word is not None and case_number(word) == number else self.args
        return f"/{self.name} #{number} {args}".strip()


def _text(value: int | None) -> str | None:
    """Return an id as the store keeps it (text), or None."""
    return None if value is None else str(value)


def _thread_gone(exc: TelegramError) -> bool:
    """Say whether Telegram refused a post because its forum topic no longer exists (an operator deleted it)."""
    return isinstance(exc, BadRequest) and any(reason in str(exc).lower() for reason in THREAD_GONE)


def _thread_of(message: Message) -> int | None:
    """Return the forum topic a message is in, or None in the main chat."""
    return message.message_thread_id if message.is_topic_message else None


def _desk_command(text: str) -> bool:
    """Say whether the citizen's text is one of the commands the desk answers itself."""
    text = text.strip()
    return text.startswith("/") and text.split()[0].split("@")[0].lower() in DESK_COMMANDS


class OperatorRoom:
    """The operators' group: case cards, case threads and notices, always edited to match the store."""

    def __init__(self, services: Services, chat_id: int, *, forum: bool = False):
        self.services = services
        self.chat_id = chat_id
        self.forum = forum
        self.cards: dict[int, Card] = {}  # a cache of the cards recorded in the store's case posts
        self.names: dict[str, str] = {}  # operator id -> their Telegram name, learned as they act
        self.stale: dict[int, int] = {}  # case number -> failed tries to update its card, retried at the sweeps
        self.waiting: dict[int, list[CitizenLine]] = {}  # case number -> its lines the group refused, in order
        self._locks = KeyedLocks()  # one per case whose card is being changed

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
            if thread_id is None or not _thread_gone(exc):
                raise
            log.warning("the forum topic of case %s is gone; opening a new one", case.number)
            thread_id = await self._topic(bot, case, thread_id)
            sent = await bot.send_message(self.chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                          message_thread_id=thread_id)
        await self.services.store.add_case_post(case.number, PLATFORM, str(self.chat_id), str(sent.message_id),
                                                "card", thread_id=_text(thread_id))
        card = Card(sent.message_id, thread_id, html, buttons)
        self.cards[case.number] = card
        await self._sync_pin(bot, case, card)
        return card

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

    async def _latest_post(self, number: int, kind: str):
        """Return the latest post of `kind` the store recorded for a case in this group, or None."""
        chat = str(self.chat_id)
        posts = [p for p in await self.services.store.case_posts(number, PLATFORM)
                 if p.kind == kind and p.chat_id == chat]
        return posts[-1] if posts else None

    async def remember(self, number: int, message: Message, kind: str) -> None:
        """Record a message the bot posted in the group as one of a case's posts, so replies to it reach the case."""
        await self.services.store.add_case_post(number, PLATFORM, str(self.chat_id), str(message.message_id), kind,
                                                thread_id=_text(_thread_of(message)))

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
            if card.thread_id is None or not _thread_gone(exc):
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
                                                kind, thread_id=_text(card.thread_id))
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
                                                "citizen", thread_id=_text(card.thread_id))

    def citizen_line_for(self, case: Case, incoming: IncomingMessage, message: Message | None) -> CitizenLine | None:
        """Render what the citizen added to a case as operators read it: their text, or their attachment."""
        ops = self.services.operators
        name = case.citizen.display_name or case.citizen.user_id
        attachment = incoming.attachment
        if attachment is not None and message is not None:
            caption = None
            if attachment.kind in _CAPTIONED:
                phrases = self.services.knowledge.current.phrases
                key = f"kind_{attachment.kind}" if f"kind_{attachment.kind}" in phrases.phrases else "kind_other"
                line = ops.say("citizen_message", case=ops.label(case.number), name=name,
                               text=ops.say("attachment_line", kind=phrases.say(key, self.language),
                                            text=attachment.caption))
                caption = escape(clip(line, MAX_CAPTION - 50))
            return CitizenLine([], (message.chat_id, message.message_id), caption)
        if incoming.text:
            line = ops.say("citizen_message", case=ops.label(case.number), name=name, text=incoming.text)
            return CitizenLine(split_text(line))
        return None

    async def citizen_line(self, bot, case: Case, incoming: IncomingMessage, message: Message | None) -> None:
        """Show operators what the citizen just added to a case, after any of its lines still waiting."""
        line = self.citizen_line_for(case, incoming, message)
        if line is None:
            return
        async with self._locks.hold(("lines", case.number)):
            lines = self.waiting.setdefault(case.number, [])
            lines.append(line)
            await self._post_waiting(bot, case, lines)
            if lines and sum(len(waiting) for waiting in self.waiting.values()) > WAITING_LINES:
                lines.pop()  # memory stays bounded while the group refuses everything
                log.warning("the group refused %s citizen lines lately; a line of case %s is not kept",
                            WAITING_LINES, case.number)
                if not lines:
                    self.waiting.pop(case.number, None)

    async def _post_waiting(self, bot, case: Case, lines: list[CitizenLine]) -> None:
        """Post a case's waiting lines in order, stopping at the first the group refuses (kept for the sweeps)."""
        while lines:
            line = lines[0]
            try:
                await self._post_line(bot, case, line)
            except TelegramError as exc:
                line.tries += 1
                if isinstance(exc, BadRequest) or line.tries >= LINE_TRIES:  # a 400 will not change by retrying
                    log.warning("cannot show a citizen line of case %s in the group (%s); dropped after %s tries",
                                case.number, type(exc).__name__, line.tries)
                    lines.pop(0)
                    continue
                log.warning("cannot show a citizen line of case %s in the group (%s); the next sweep tries again",
                            case.number, type(exc).__name__)
                break
            lines.pop(0)
        if not lines:
            self.waiting.pop(case.number, None)

    async def _post_line(self, bot, case: Case, line: CitizenLine) -> None:
        """Post one citizen line: its copy, or its text parts (a part posted is not posted again)."""
        if line.source is not None:
            await self.copy_in_thread(bot, case, line.source, line.caption)
            return
        while line.parts:
            await self.post_in_thread(bot, case, line.parts[0], "citizen")
            line.parts.pop(0)

    async def post_waiting_lines(self, bot) -> None:
        """Post again the citizen lines the group refused, for a few cases, each case's in order."""
        for number in list(self.waiting)[:WAITING_CASES_PER_SWEEP]:
            case = await self.services.store.get_case(number)
            async with self._locks.hold(("lines", number)):
                lines = self.waiting.get(number)
                if case is None:
                    self.waiting.pop(number, None)
                elif lines:
                    await self._post_waiting(bot, case, lines)
                if number in self.waiting:  # still refused: the other cases' lines come first next sweep
                    self.waiting[number] = self.waiting.pop(number)

    async def citizen_activity(self, bot, before: Case | None, after: Case | None, incoming: IncomingMessage,
                               message: Message | None) -> None:
        """Reflect what a citizen's message did to their case: a new card, a line in the thread, or an edit."""
        if after is not None and (before is None or before.number != after.number):
            # a new case's card is posted (a refusal is retried at the sweeps); a reopened case's card is edited
            await self.refresh_card(bot, after.number)
            if incoming.text.strip() and incoming.text.strip() != after.question.strip():
                await self.citizen_line(bot, after, incoming, message)
        elif after is not None:
            if not _desk_command(incoming.text):  # the desk's own commands (/status ...) are not case messages
                await self.citizen_line(bot, after, incoming, message)
            await self.refresh_card(bot, after.number)
        if before is not None and (after is None or after.number != before.number):
            await self.refresh_card(bot, before.number)

    async def post(self, bot, html: str) -> Message:
        """Post a message to the group's main chat."""
        return await bot.send_message(self.chat_id, html, parse_mode=ParseMode.HTML)


class GroupNotifier:
    """The escalation Notifier for Telegram: notices go to the operators' group, naming the operator."""

    def __init__(self, room: OperatorRoom, bot):
        self.room = room
        self.bot = bot
        self._case: int | None = None  # the case of the notice being posted, set by `rendering`

    async def notify(self, operator_id: str | None, text: str) -> None:
        """Post one notice in the group, mentioning the operator it is for when that is a Telegram user."""
        mention = ""
        if operator_id and operator_id.isdigit():
            mention = f'<a href="tg://user?id={operator_id}">{escape(self.room.operator_name(operator_id))}</a> '
        number, self._case = self._case, None
        for part in split_text(text, MAX_TEXT - 200):
            sent = await self.room.post(self.bot, mention + escape(part))
            if number is not None:  # a reply to the notice goes to its case
                await self.room.remember(number, sent, "notice")
            mention = ""

    def rendering(self, render: Callable[[Notice], str]) -> Callable[[Notice], str]:
        """Wrap a notice renderer so that `notify` knows the notice's case (relay_notices renders, then notifies)."""

        def render_noting_case(notice: Notice) -> str:
            self._case = notice.case.number
            return render(notice)

        return render_noting_case


class OperatorHandlers:
    """The operators' callbacks in the group; `telegram_app` registers them."""

    def __init__(self, services: Services):
        self.services = services

    def _refusal(self, operator_id: str) -> str:
        return self.services.room.say("not_operator", operator=operator_id)

    async def _answer(self, message: Message, lines: list[str], case: Case | None = None) -> None:
        """Answer an operator's message; one about a case is its post (a reply to it reaches it) in the main chat."""
        text = "\n".join(lines).strip()
        if not text:
            return
        for part in split_text(text):
            sent = await message.reply_text(escape(part), parse_mode=ParseMode.HTML, do_quote=True)
            if case is not None and _thread_of(sent) is None:  # in a forum topic, the topic names the case
                await self.services.room.remember(case.number, sent, "notice")

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run an operator's typed command through OperatorDesk and update the card of the case it touched."""
        services = self.services
        message = update.effective_message
        text = message.text or ""
        command = Command.parse(text)
        if command is not None and command.bot not in ("", (context.bot.username or "").lower()):
            return  # "/take@other_bot": a command for another bot in the group
        operator_id = services.room.saw_operator(update.effective_user)
        operators = services.operators
        if not operators.is_operator(operator_id):
            await self._answer(message, [self._refusal(operator_id)])
            return
        number = await self._replied_case(message, command)
        if number is not None:
            other = command.other_case(number)
            if other is not None:  # "/reply #2 ..." under #1's card: which case is meant is unclear
                await self._answer(message, [operators.say("command_names_other_case",
                                                           case=operators.label(number), other=other)])
                return
            text = command.on_case(number)
        else:
            number = command.named_case() if command is not None else None
        outcome = await operators.execute(operator_id, text)
        # the case acted on; for a refusal, the case named (its card may be stale if another desk changed it)
        touched = {n for n in (outcome.case.number if outcome.case else None, number) if n is not None}
        await self._answer(message, outcome.lines, outcome.case)
        for touched_number in sorted(touched):
            await services.room.refresh_card(context.bot, touched_number)
        services.kick_outbox()

    async def _replied_case(self, message: Message, command: Command | None) -> int | None:
        """Return the case a case command is sent under (a reply to the case's message, or in its topic)."""
        if command is None or command.name not in CASE_COMMANDS:
            return None
        return await self._case_of(message)

    async def _case_of(self, message: Message) -> int | None:
        """Return the case a group message belongs to: the case post it replies to, or its forum topic."""
        store = self.services.store
        chat = str(message.chat_id)
        reply = message.reply_to_message
        if reply is not None:
            number = await store.case_for_post(PLATFORM, chat, str(reply.message_id))
            if number is not None:
                return number
        if message.message_thread_id and message.is_topic_message:
            return await store.case_for_post(PLATFORM, chat, str(message.message_thread_id))
        return None

    async def on_reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Send an operator's Telegram reply under a case's message to that case's citizen, via the outbox."""
        services = self.services
        message = update.effective_message
        number = await self._case_of(message)
        if number is None:
            await self._hint_no_case(message, context.bot)
            return
        operator_id = services.room.saw_operator(update.effective_user)
        if not services.operators.is_operator(operator_id):
            await self._answer(message, [self._refusal(operator_id)])
            return
        if not message.text:
            await self._answer(message, [services.room.say("text_only")])
            return
        outcome = await services.operators.reply(operator_id, number, message.text)
        if not outcome.ok:
            await self._answer(message, outcome.lines, outcome.case)
            return
        await services.store.add_case_post(number, PLATFORM, str(message.chat_id), str(message.message_id), "reply",
                                           thread_id=_text(message.message_thread_id if message.is_topic_message
                                                           else None))
        services.kick_outbox()
        with contextlib.suppress(TelegramError):  # a reaction is a courtesy; the reply is stored either way
            await message.set_reaction(ReactionTypeEmoji(STORED_REACTION))
        if len(outcome.lines) > 1:  # e.g. the citizen blocked the bot
            await self._answer(message, outcome.lines[1:], outcome.case)

    async def _hint_no_case(self, message: Message, bot) -> None:
        """Tell an operator who replied to a bot message about no single case (/queue) how to reach a citizen."""
        reply = message.reply_to_message
        if reply is None or reply.from_user is None or reply.from_user.id != bot.id or message.from_user is None:
            return  # the operators talking among themselves
        if self.services.operators.is_operator(self.services.room.saw_operator(message.from_user)):
            await self._answer(message, [self.services.room.say("reply_no_case")])

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Take or resolve a case from its card's buttons; anyone but an operator is refused."""
        services = self.services
        query = update.callback_query
        message = query.message
        if message is None or message.chat.id != services.room.chat_id:
            await query.answer()
            return
        operator_id = services.room.saw_operator(query.from_user)
        if not services.operators.is_operator(operator_id):
            await query.answer(clip(self._refusal(operator_id), CALLBACK_ANSWER_CHARS), show_alert=True)
            return
        action, _, data = (query.data or "")[len(BUTTON_PREFIX):].partition(":")
        number = case_number(data)  # None for "²" or a number no case can have: not a button of ours
        if number is None or action not in ("take", "resolve"):
            await query.answer()
            return
        if action == "take":
            outcome = await services.operators.take(operator_id, number)
        else:
            outcome = await services.operators.resolve(operator_id, number)
        await query.answer(clip(outcome.lines[0] if outcome.lines else "", CALLBACK_ANSWER_CHARS),
                           show_alert=not outcome.ok)
        await services.room.refresh_card(context.bot, number)
        if outcome.ok:
            services.kick_outbox()
