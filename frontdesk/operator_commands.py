"""Operators' typed commands ("/take", "/reply 12 text", "/transfer 12 dept:KEY why") run as the desk's actions.

A command without a case number acts on the operator's current case (the one they last took or acted on).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import ClassVar

from frontdesk.operator_wording import OperatorWording, Outcome

_COMMAND = re.compile(r"^/(\w+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_CASE_ARG = re.compile(r"^#?(\d+)(?:\s+(.*))?$", re.DOTALL)


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
        return await command(self, operator_id, args)

    # -- command parsing ----------------------------------------------------------------------------

    def _target_case(self, operator_id: str, args: str, *, needs_rest: bool = False) -> tuple[int | None, str]:
        """Split "N rest" or "#N rest"; without a leading number, the operator's current case and all of args."""
        match = _CASE_ARG.match(args)
        if match is not None and (match.group(2) or not needs_rest):
            return int(match.group(1)), (match.group(2) or "").strip()
        return self.current.get(operator_id), args

    def _usage(self, usage: str) -> Outcome:
        return Outcome(False, [self.say("usage", usage=usage)])

    async def _cmd_help(self, operator_id: str, args: str) -> Outcome:
        return Outcome(True, [self.say("help")])

    async def _cmd_queue(self, operator_id: str, args: str) -> Outcome:
        return await self.queue_view(operator_id)

    async def _cmd_take(self, operator_id: str, args: str) -> Outcome:
        if not args:
            return await self.take(operator_id)
        match = _CASE_ARG.match(args)
        if match is None:
            return self._usage("/take [N]")
        return await self.take(operator_id, int(match.group(1)))

    async def _cmd_reply(self, operator_id: str, args: str) -> Outcome:
        number, text = self._target_case(operator_id, args, needs_rest=True)
        if not text:
            return self._usage("/reply [N] text")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.reply(operator_id, number, text)

    async def _cmd_note(self, operator_id: str, args: str) -> Outcome:
        number, text = self._target_case(operator_id, args, needs_rest=True)
        if not text:
            return self._usage("/note [N] text")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.note(operator_id, number, text)

    async def _cmd_faq(self, operator_id: str, args: str) -> Outcome:
        number, entry = self._target_case(operator_id, args, needs_rest=True)
        if not entry or len(entry.split()) != 1:
            return self._usage("/faq [N] ENTRY_ID")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.send_faq(operator_id, number, entry)

    async def _cmd_transfer(self, operator_id: str, args: str) -> Outcome:
        number, rest = self._target_case(operator_id, args, needs_rest=True)
        target, _, why = rest.partition(" ")
        if not target:
            return self._usage("/transfer [N] OPERATOR|dept:KEY [why]")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.transfer(operator_id, number, target, why.strip())

    async def _cmd_release(self, operator_id: str, args: str) -> Outcome:
        number, rest = self._target_case(operator_id, args)
        if rest:
            return self._usage("/release [N]")
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.release(operator_id, number)

    async def _cmd_resolve(self, operator_id: str, args: str) -> Outcome:
        number, summary = self._target_case(operator_id, args)
        if number is None:
            return Outcome(False, [self.say("no_current")])
        return await self.resolve(operator_id, number, summary)

    async def _cmd_addfaq(self, operator_id: str, args: str) -> Outcome:
        number, draft = self._target_case(operator_id, args)
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
        number, rest = self._target_case(operator_id, args)
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
