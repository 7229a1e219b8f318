"""Operators' typed commands ("/take", "/reply 12 text", "/transfer 12 dept:KEY why") run as the desk's actions.

A command without a case number acts on the operator's current case (the one they last took or acted on).
A leading number is always the case it names, even when the command's text is missing after it: "/reply 1"
is case #1 without text (the usage is shown), never the text "1" for the current case. "-1", digits of
another script and numbers no case can have are refused, so a typo never lands on the current case.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import ClassVar

from frontdesk.operator_wording import OperatorWording, Outcome

MAX_CASE_NUMBER = 2**63 - 1  # SQLite's largest INTEGER: no case can have a larger number
_COMMAND = re.compile(r"^/(\w+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_FIRST_WORD = re.compile(r"^(\S+)(?:\s+(.*))?$", re.DOTALL)
_CASE_NUMBER = re.compile(r"#?([0-9]{1,19})")  # ASCII digits only: "²".isdigit() is true, yet int("²") fails
_ASCII_NUMBER = re.compile(r"#?[0-9]+")
_MEANT_AS_NUMBER = re.compile(r"#?-?\d+")  # a first word the operator means as a case number, valid or not


def case_number(text: str) -> int | None:
    """Return the case number "N" or "#N" names (ASCII digits, within SQLite's range), or None when it names none."""
    match = _CASE_NUMBER.fullmatch(text)
    if match is None:
        return None
    number = int(match.group(1))
    return number if number <= MAX_CASE_NUMBER else None


def first_word(args: str) -> tuple[str, str]:
    """Split a command's arguments into their first word and the rest (both stripped)."""
    match = _FIRST_WORD.match(args.strip())
    if match is None:
        return "", ""
    return match.group(1), (match.group(2) or "").strip()


class _Refused(Exception):
    """A command's arguments cannot be run: the outcome to answer with; nothing was done."""

    def __init__(self, outcome: Outcome):
        super().__init__()
        self.outcome = outcome


class OperatorCommands(OperatorWording):
    """Parse typed commands and run them as OperatorDesk's actions (take, reply, ... defined there)."""

    current: dict[str, int]
    last_resolved: dict[str, int]

    async def handle(self, operator_id: str, text: str) -> list[str]:
        """Run one typed command for an operator and return the lines to show them."""
        outcome = await self.execute(operator_id, text)
        return outcome.lines

    async def execute(self, operator_id: str, text: str) -> Outcome:
        """Run one typed command for an operator and return its outcome, with the case it acted on, if any."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        text = text.strip()
        if not text:
            return Outcome(False, [])
        match = _COMMAND.match(text)
        if match is None:
            current = self.current.get(operator_id)
            return Outcome(False, [self.say("plain_text", case=self.label(current) if current else "—")])
        name, args = match.group(1).lower(), (match.group(2) or "").strip()
        command = self._commands.get(name)
        if command is None:
            return Outcome(False, [self.say("unknown_command", command="/" + name)])
        try:
            return await command(self, operator_id, args)
        except _Refused as refused:
            return refused.outcome

    # -- command parsing ----------------------------------------------------------------------------

    def _target_case(self, operator_id: str, args: str, usage: str) -> tuple[int | None, str]:
        """Split "N rest" or "#N rest"; without a leading number, the operator's current case and all of args."""
        word, rest = first_word(args)
        if not _MEANT_AS_NUMBER.fullmatch(word):
            return self.current.get(operator_id), args
        return self._named_case(word, usage), rest

    def _named_case(self, word: str, usage: str) -> int:
        """Return the case a word such as "12" or "#12" names; refuse "-1", "１２" and numbers no case can have."""
        number = case_number(word)
        if number is not None:
            return number
        if _ASCII_NUMBER.fullmatch(word):
            raise _Refused(Outcome(False, [self.say("not_found", case="#" + word.removeprefix("#"))]))
        raise _Refused(self._usage(usage))

    def _usage(self, usage: str) -> Outcome:
        return Outcome(False, [self.say("usage", usage=usage)])

    async def _cmd_help(self, operator_id: str, args: str) -> Outcome:
        return Outcome(True, [self.say("help")])

    async def _cmd_queue(self, operator_id: str, args: str) -> Outcome:
        return await self.queue_view(operator_id)

    async def _cmd_take(self, operator_id: str, args: str) -> Outcome:
        if not args:
            return await self.take(operator_id)
        word, rest = first_word(args)
        if rest or not _MEANT_AS_NUMBER.fullmatch(word):
            return self._usage("/take [N]")
        return await self.take(operator_id, self._named_case(word, "/take [N]"))

    async def _cmd_reply(self, operator_id: str, args: str) -> Outcome:
        number, text = self._target_case(operator_id, args, "/reply [N] text")
        if not text:
            return self._usage("/reply [N] text")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.reply(operator_id, number, text)

    async def _cmd_note(self, operator_id: str, args: str) -> Outcome:
        number, text = self._target_case(operator_id, args, "/note [N] text")
        if not text:
            return self._usage("/note [N] text")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.note(operator_id, number, text)

    async def _cmd_faq(self, operator_id: str, args: str) -> Outcome:
        number, entry = self._target_case(operator_id, args, "/faq [N] ENTRY_ID")
        if not entry or len(entry.split()) != 1:
            return self._usage("/faq [N] ENTRY_ID")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.send_faq(operator_id, number, entry)

    async def _cmd_transfer(self, operator_id: str, args: str) -> Outcome:
        usage = "/transfer [N] OPERATOR|dept:KEY [why]"
        number, rest = self._target_case(operator_id, args, usage)
        target, why = first_word(rest)
        if not target:
            return self._usage(usage)
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.transfer(operator_id, number, target, why)

    async def _cmd_release(self, operator_id: str, args: str) -> Outcome:
        number, rest = self._target_case(operator_id, args, "/release [N]")
        if rest:
            return self._usage("/release [N]")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.release(operator_id, number)

    async def _cmd_resolve(self, operator_id: str, args: str) -> Outcome:
        number, summary = self._target_case(operator_id, args, "/resolve [N] [summary]")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.resolve(operator_id, number, summary)

    async def _cmd_addfaq(self, operator_id: str, args: str) -> Outcome:
        number, draft = self._target_case(operator_id, args, "/addfaq [N] [draft]")
        if number is None:
            number = self.last_resolved.get(operator_id)
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.add_to_faq(operator_id, number, draft or None)

    async def _cmd_reload(self, operator_id: str, args: str) -> Outcome:
        if args:
            return self._usage("/reload")
        return await self.reload(operator_id)

    async def _cmd_history(self, operator_id: str, args: str) -> Outcome:
        number, rest = self._target_case(operator_id, args, "/history [N]")
        if rest:
            return self._usage("/history [N]")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.history(operator_id, number)

    async def _cmd_mine(self, operator_id: str, args: str) -> Outcome:
        return await self.mine(operator_id)

    async def _cmd_onduty(self, operator_id: str, args: str) -> Outcome:
        return await self.set_duty(operator_id, True)

    async def _cmd_offduty(self, operator_id: str, args: str) -> Outcome:
        return await self.set_duty(operator_id, False)

    async def _cmd_handover(self, operator_id: str, args: str) -> Outcome:
        return await self.handover_view(operator_id)

    async def _cmd_stats(self, operator_id: str, args: str) -> Outcome:
        return await self.stats(operator_id)

    _commands: ClassVar[dict[str, Callable[..., Awaitable[Outcome]]]] = {
        "queue": _cmd_queue, "take": _cmd_take, "reply": _cmd_reply, "note": _cmd_note,
        "faq": _cmd_faq, "transfer": _cmd_transfer, "release": _cmd_release,
        "resolve": _cmd_resolve, "history": _cmd_history, "mine": _cmd_mine,
        "onduty": _cmd_onduty, "offduty": _cmd_offduty, "handover": _cmd_handover,
        "stats": _cmd_stats, "help": _cmd_help, "start": _cmd_help,
        "addfaq": _cmd_addfaq, "reload": _cmd_reload,
    }
