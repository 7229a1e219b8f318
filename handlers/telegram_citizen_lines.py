"""What citizens add to their cases, shown to operators as lines in the case's thread, in order.

A citizen's line the group refuses waits in memory and is posted again at the sweeps, in order; memory and
tries are bounded (WAITING_LINES lines in all, LINE_TRIES tries each).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import Message
from telegram.error import BadRequest, TelegramError

from frontdesk.cases import Case
from frontdesk.desk import COMMANDS as DESK_COMMANDS
from frontdesk.model import IncomingMessage
from handlers.telegram_group import ROOM_LOGGER, OperatorGroup
from handlers.telegram_render import MAX_CAPTION, clip, escape, split_text

log = logging.getLogger(ROOM_LOGGER)

WAITING_LINES = 100  # citizen lines the group refused, kept (all cases together) to post again at the sweeps
LINE_TRIES = 20  # a refused citizen line is tried this many times (about ten minutes of sweeps), then dropped
WAITING_CASES_PER_SWEEP = 5  # cases whose waiting lines a sweep posts
_CAPTIONED = ("photo", "document", "voice", "video", "other")


@dataclass
class CitizenLine:
    """A citizen's message shown in their case's thread: text parts to post, or an attachment to copy."""

    parts: list[str]  # the text still to post, plain (escaped when sent)
    source: tuple[int, int] | None = None  # the citizen's (chat id, message id) to copy, for an attachment
    caption: str | None = None  # the copy's caption, HTML
    tries: int = 0  # posts the group refused so far


def _desk_command(text: str) -> bool:
    """Say whether the citizen's text is one of the commands the desk answers itself."""
    text = text.strip()
    return text.startswith("/") and text.split()[0].split("@")[0].lower() in DESK_COMMANDS


class CitizenLines(OperatorGroup):
    """Show operators the citizens' lines, keeping the ones the group refused for the sweeps."""

    waiting: dict[int, list[CitizenLine]]

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
