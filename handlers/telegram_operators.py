"""Operators on Telegram: their commands, their presses on case cards and their replies in the operators' group.

`OperatorHandlers` turns what operators do there into OperatorDesk calls: commands go to
`OperatorDesk.execute`, the card's buttons to its action methods, and a Telegram reply to any message of a
case to `OperatorDesk.reply` (delivered to the citizen through the outbox); a reply to a bot message about no
single case (/queue) gets a hint. A case command sent as a reply to a case's message (or in its topic) acts on
that case, whatever its arguments start with. Only the ids in OPERATOR_IDS may act; anyone else is refused and
nothing changes. Commands addressed to another bot ("/take@other_bot") are left to that bot. What the group
shows (cards, case threads, notices) is the room's (telegram_room).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import Message, ReactionTypeEmoji, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from frontdesk.cases import Case
from frontdesk.operator_commands import case_number, first_word
from handlers.telegram_cards import BUTTON_PREFIX
from handlers.telegram_citizens import PLATFORM
from handlers.telegram_group import stored_id, thread_of
from handlers.telegram_render import clip, escape, split_text

if TYPE_CHECKING:
    from handlers.telegram_services import Services

CALLBACK_ANSWER_CHARS = 200
STORED_REACTION = "👍"  # set on an operator's reply once it is stored for delivery
CASE_COMMANDS = ("take", "reply", "note", "faq", "transfer", "release", "resolve", "history", "addfaq")
CASE_ONLY_COMMANDS = ("take", "release", "history")  # their only argument is the case: a bare "12" names it too
_COMMAND = re.compile(r"^/(\w+)(?:@(\S+))?(?:\s+(.*))?$", re.DOTALL)
_CASE_LABEL = re.compile(r"#[0-9]+")  # "#12": a case named explicitly
_CASE_WORD = re.compile(r"#?[0-9]+")


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
            if case is not None and thread_of(sent) is None:  # in a forum topic, the topic names the case
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
                                           thread_id=stored_id(message.message_thread_id if message.is_topic_message
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
