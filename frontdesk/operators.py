"""The operators' service: commands and button actions on cases, authorised, recorded, answered in phrases.

The console desk (handlers/operator_console.py) and the Telegram operators' group both go through
`OperatorDesk.handle(operator_id, text)` (the lines to show) or `OperatorDesk.execute` (the whole Outcome,
with the case acted on) for typed commands, or call the action methods (take, resolve, ...) for buttons.
A refusal is a phrase in the operators' language, never an exception; only operators configured in settings
may act, and a refused action changes nothing.

转办 (forwarding to a department) keeps the case claimed by the operator who forwarded it, with the department
recorded: the hotline stays answerable to the citizen, the department's answer comes back to that operator,
who replies and resolves. A transfer to another operator moves the claim to them (a supervisor may move anyone's
case, to themselves too). A case stays with its holder while they are on duty; once they are off duty (or gone
from the roster) an on-duty colleague may take it over with /take, recorded and told to the previous holder.

The desk is assembled from parts with one job each: operator_commands parses typed commands,
operator_views renders what operators look at, operator_wording holds the words and the Outcome type;
this module holds the actions, the authorisation and the store reads behind the views.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from frontdesk.cases import Case, CaseError, CaseStore, CitizenNotice, Outbox, Reports
from frontdesk.clock import Clock
from frontdesk.faq import Faq, load_faq
from frontdesk.knowledge import KnowledgeBase
from frontdesk.operator_commands import OperatorCommands
from frontdesk.operator_views import OperatorViews, next_step
from frontdesk.operator_wording import Outcome, localized, snippet
from frontdesk.phrases import Phrasebook, load_phrases
from frontdesk.reload import reload_now
from frontdesk.settings import ROOT, Settings
from frontdesk.yamlfile import DataFileError

PHRASES_PATH = ROOT / "messages-operator.yaml"
QUEUE_SHOWN = 20
DEPARTMENT_PREFIX = "dept:"


class OperatorStore(CaseStore, Outbox, Reports, Protocol):
    """Everything the operators' service needs from the store."""


def load_operator_phrases(path: str | Path | None = None) -> Phrasebook:
    """Load the operators' phrases (messages-operator.yaml by default)."""
    return load_phrases(path or PHRASES_PATH)


class OperatorDesk(OperatorCommands, OperatorViews):
    """Operators' commands -> actions on the case store -> replies in the operators' language."""

    def __init__(
        self,
        store: OperatorStore,
        settings: Settings,
        phrases: Phrasebook | None = None,
        faq_provider: Callable[[], Faq] | Faq | None = None,
        *,
        language: str | None = None,
        clock: Clock = time.time,
        knowledge: KnowledgeBase | None = None,
    ):
        self.store = store
        self.settings = settings
        self.phrases = phrases or load_operator_phrases()
        self._faq_provider = faq_provider
        self.knowledge = knowledge  # what /reload reloads; without a faq_provider, /faq answers from it too
        self.language = language or getattr(settings, "operator_language", None) or "zh"
        self.clock = clock
        self.tz = settings.tzinfo()
        self.current: dict[str, int] = {}  # operator id -> the case they last took or acted on
        self.last_resolved: dict[str, int] = {}  # operator id -> the case they last resolved (for /addfaq)

    # -- actions (also used by buttons) -------------------------------------------------------------

    async def take(self, operator_id: str, number: int | None = None) -> Outcome:
        """Claim a case (the head of the queue when no number is given), or take it over from an off-duty holder."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        if number is None:
            waiting, _ = await self.store.queue(limit=1)
            if not waiting:
                return Outcome(False, [self.say("queue_empty_take")])
            number = waiting[0].number
        try:
            case = await self.store.claim(number, operator_id, citizen_notice=self._to_citizen("to_citizen_taken"))
        except CaseError as exc:
            if exc.code != "taken" or not exc.holder:
                return await self._refusal(exc, number, operator_id)
            return await self._take_over(operator_id, number, exc.holder)
        return await self._took(operator_id, case)

    async def _take_over(self, operator_id: str, number: int, holder: str) -> Outcome:
        """Take a case over from a holder who is off duty (or gone from the roster); refused if they are on duty."""
        try:
            case = await self.store.take_over(number, operator_id, holder, absent=not self.is_operator(holder))
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        if self.current.get(holder) == number:
            del self.current[holder]
        outcome = await self._took(operator_id, case)
        notice = self.say("took_over", case=self.label(number), holder=self._operator_name(holder))
        return Outcome(True, [outcome.lines[0], notice, *outcome.lines[1:]], case)

    async def _took(self, operator_id: str, case: Case) -> Outcome:
        """Make the case the operator's current one and show it: who asked what, and its latest lines."""
        number = case.number
        self.current[operator_id] = number
        lines = [self.say("took", case=self.label(number), name=self._citizen_name(case),
                          lang_name=self.language_name(case.language), reason=self._reason(case.reason),
                          priority=self._priority(case.priority),
                          question=self._citizen_text(case.question))]
        log = await self.store.messages(number)
        lines.extend(self._log_line(m) for m in log[1:][-5:])
        if case.citizen_blocked:
            lines.append(self.say("citizen_blocked", case=self.label(number)))
        return Outcome(True, lines, case)

    async def reply(self, operator_id: str, number: int, text: str) -> Outcome:
        """Send the citizen a reply through the outbox (only from the operator holding the case)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        case = await self.store.get_case(number)
        if case is None:
            return self._refused(CaseError("not_found"), number)
        try:
            await self.store.enqueue(number, case.citizen.platform, case.citizen.chat_id, text, operator_id)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        self.current[operator_id] = number
        lines = [self.say("replied", case=self.label(number))]
        if case.citizen_blocked:
            lines.append(self.say("citizen_blocked", case=self.label(number)))
        return Outcome(True, lines, case)

    async def send_faq(self, operator_id: str, number: int, entry_id: str) -> Outcome:
        """Send the citizen an FAQ entry's standard answer in the case's language."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        try:
            faq = self._faq()
        except (DataFileError, OSError):
            return Outcome(False, [self.say("faq_unavailable")])
        entry = faq.get(entry_id)
        if entry is None:
            return Outcome(False, [self.say("faq_unknown", entry=entry_id)])
        case = await self.store.get_case(number)
        if case is None:
            return self._refused(CaseError("not_found"), number)
        try:
            await self.store.enqueue(number, case.citizen.platform, case.citizen.chat_id,
                                     entry.answer(case.language), operator_id)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        self.current[operator_id] = number
        lang_name = self.language_name(case.language)
        return Outcome(True, [self.say("faq_sent", entry=entry_id, lang_name=lang_name, case=self.label(number))],
                       case)

    async def note(self, operator_id: str, number: int, text: str) -> Outcome:
        """Add an internal note to a case (any operator may, on any case)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        try:
            await self.store.add_note(number, operator_id, text)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        return Outcome(True, [self.say("noted", case=self.label(number))], await self.store.get_case(number))

    async def transfer(self, operator_id: str, number: int, target: str, why: str = "") -> Outcome:
        """Hand a case to another operator, or forward it to a department with `dept:KEY` (转办)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        if target.startswith(DEPARTMENT_PREFIX):
            return await self._forward(operator_id, number, target[len(DEPARTMENT_PREFIX):], why)
        if target in self.settings.departments:
            return await self._forward(operator_id, number, target, why)
        if self.settings.operator(target) is None:
            return Outcome(False, [self.say("unknown_target", target=target,
                                            departments=", ".join(f"dept:{k}" for k in self.settings.departments))])
        supervisor = self._is_supervisor(operator_id)
        if target == operator_id and not supervisor:
            return Outcome(False, [self.say("transfer_self")])
        try:
            case = await self.store.transfer(number, operator_id, target, why, force=supervisor)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        if target == operator_id:  # a supervisor taking the case on
            self.current[operator_id] = number
        elif self.current.get(operator_id) == number:
            del self.current[operator_id]
        lines = [self.say("transferred", case=self.label(number), target=self._operator_name(target))]
        if target != operator_id and target not in await self.store.on_duty_operators():
            lines.append(self.say("target_off_duty", target=self._operator_name(target)))
        return Outcome(True, lines, case)

    async def _forward(self, operator_id: str, number: int, department: str, why: str) -> Outcome:
        if department not in self.settings.departments:
            return Outcome(False, [self.say("unknown_target", target=DEPARTMENT_PREFIX + department,
                                            departments=", ".join(f"dept:{k}" for k in self.settings.departments))])
        name = self.settings.departments[department]
        notice = self._to_citizen("to_citizen_forwarded", department=lambda lang: localized(name, lang))
        try:
            case = await self.store.forward(number, operator_id, department, why, citizen_notice=notice)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        self.current[operator_id] = number
        return Outcome(True, [self.say("forwarded", case=self.label(number),
                                       department=localized(name, self.language))], case)

    async def release(self, operator_id: str, number: int) -> Outcome:
        """Put a case back in the queue (the holder, or the supervisor for anyone's case)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        try:
            case = await self.store.release(number, operator_id, force=self._is_supervisor(operator_id))
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        if self.current.get(operator_id) == number:
            del self.current[operator_id]
        return Outcome(True, [self.say("released", case=self.label(number))], case)

    async def resolve(self, operator_id: str, number: int, summary: str = "") -> Outcome:
        """Resolve a case the operator holds and tell the citizen."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        notice = self._to_citizen("to_citizen_resolved", days=lambda _: f"{self.settings.queue.reopen_days:g}")
        try:
            case = await self.store.resolve(number, operator_id, summary, citizen_notice=notice)
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        if self.current.get(operator_id) == number:
            del self.current[operator_id]
        self.last_resolved[operator_id] = number
        return Outcome(True, [self.say("resolved", case=self.label(number))], case)

    async def add_to_faq(self, operator_id: str, number: int, draft: str | None = None) -> Outcome:
        """Mark a claimed or resolved case "add to FAQ" for the maintainers' `faq gaps`, with an optional draft.

        Only the operator holding or having resolved the case may, or the supervisor; without a draft the
        operator's last reply to the citizen serves as the draft answer.
        """
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        try:
            case = await self.store.mark_for_faq(number, operator_id, draft or None,
                                                 force=self._is_supervisor(operator_id))
        except CaseError as exc:
            return await self._refusal(exc, number, operator_id)
        shown = case.faq_draft
        if shown is None:
            replies = [m.text for m in await self.store.messages(number) if m.author == "operator" and m.text]
            shown = replies[-1] if replies else None
        if shown is None:
            return Outcome(True, [self.say("faq_marked_no_draft", case=self.label(number))], case)
        return Outcome(True, [self.say("faq_marked", case=self.label(number), draft=snippet(shown))], case)

    async def reload(self, operator_id: str) -> Outcome:
        """Reload the FAQ, intents and messages now; say what was loaded or, for a broken edit, what is wrong."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        if self.knowledge is None:
            return Outcome(False, [self.say("reload_unavailable")])
        before = self.knowledge.current
        message = await reload_now(self.knowledge, self.phrases, self.language)
        return Outcome(self.knowledge.current is not before, [message])

    # -- views (what operators look at) -------------------------------------------------------------

    async def queue_view(self, operator_id: str) -> Outcome:
        """List the open cases: overdue first, then urgent first, then oldest, with waiting times."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        waiting, total = await self.store.queue(limit=QUEUE_SHOWN)
        if not waiting:
            return Outcome(True, [self.say("queue_empty")])
        return Outcome(True, self.queue_lines(waiting, total, self.clock()))

    async def history(self, operator_id: str, number: int) -> Outcome:
        """Show a case's log and steps in order (any operator may read any case)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        case = await self.store.get_case(number)
        if case is None:
            return self._refused(CaseError("not_found"), number)
        messages = await self.store.messages(number)
        events = await self.store.events(number)
        return Outcome(True, self.history_lines(case, messages, events), case)

    async def mine(self, operator_id: str) -> Outcome:
        """List the cases the operator holds, with their latest line."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        cases = await self.store.cases_of(operator_id)
        if not cases:
            return Outcome(True, [self.say("mine_empty")])
        held = []
        for case in cases:
            log = await self.store.messages(case.number)
            held.append((case, log[-1] if len(log) > 1 else None))
        return Outcome(True, self.mine_lines(held))

    async def set_duty(self, operator_id: str, on_duty: bool) -> Outcome:
        """Start or end an operator's shift (only on-duty operators receive overdue alerts)."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        await self.store.set_on_duty(operator_id, on_duty)
        name = self._operator_name(operator_id)
        if on_duty:
            return Outcome(True, [self.say("on_duty", name=name)])
        held = len(await self.store.cases_of(operator_id))
        return Outcome(True, [self.say("off_duty", name=name, count=held) if held
                              else self.say("off_duty_clear", name=name)])

    async def handover_view(self, operator_id: str) -> Outcome:
        """Summarise open and claimed cases for the next shift: last message and what is pending."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        items = await self.store.handover()
        steps = {}
        for item in items:
            if item.case.status == "claimed":
                number = item.case.number
                steps[number] = next_step(item.case, await self.store.messages(number), await self.store.events(number))
        on_duty = await self.store.on_duty_operators()
        return Outcome(True, self.handover_lines(items, self.clock(), steps, on_duty))

    async def stats(self, operator_id: str) -> Outcome:
        """Report today's volume, handoffs by reason, and median times to claim and to resolve."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        now = self.clock()
        today = self.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
        report = await self.store.report(today.timestamp(), now + 1)
        return Outcome(True, self.stats_lines(report, today))

    # -- authorisation and the citizen side of a step -----------------------------------------------

    def is_operator(self, operator_id: str) -> bool:
        """Say whether this id is a configured operator."""
        return self.settings.operator(operator_id) is not None

    def _authorise(self, operator_id: str) -> Outcome | None:
        if self.is_operator(operator_id):
            return None
        return Outcome(False, [self.say("not_operator", operator=operator_id)])

    def _is_supervisor(self, operator_id: str) -> bool:
        return bool(self.settings.queue.supervisor) and operator_id == self.settings.queue.supervisor

    def _faq(self) -> Faq:
        provider = self._faq_provider
        if isinstance(provider, Faq):
            return provider
        if callable(provider):
            return provider()
        if self.knowledge is not None:
            return self.knowledge.current.faq
        faq = load_faq(self.settings.faq_path)
        self._faq_provider = faq
        return faq

    def _to_citizen(self, key: str, **fields: Callable[[str], str]) -> CitizenNotice:
        """Build the notice sent to the citizen about a step, in the case's language (none if they blocked us)."""

        def notice(case: Case) -> str:
            if case.citizen_blocked:
                return ""
            language = case.language if case.language in ("zh", "en") else "zh"
            values = {name: make(language) for name, make in fields.items()}
            return self.phrases.say(key, language, case=self.label(case.number), **values)

        return notice

    async def _refusal(self, exc: CaseError, number: int, operator_id: str) -> Outcome:
        """Explain a refused step; tell an on-duty operator when the holder is off duty and can be relieved."""
        outcome = self._refused(exc, number)
        if exc.code not in ("taken", "not_owner") or not exc.holder or exc.status != "claimed":
            return outcome
        on_duty = await self.store.on_duty_operators()
        if operator_id not in on_duty or not self._holder_absent(exc.holder, on_duty):
            return outcome
        hint = self.say("holder_off_duty", holder=self._operator_name(exc.holder), number=number)
        return Outcome(False, [*outcome.lines, hint], outcome.case)

    def _refused(self, exc: CaseError, number: int) -> Outcome:
        label = self.label(number)
        code = exc.code
        if code == "not_found":
            return Outcome(False, [self.say("not_found", case=label)])
        if code == "taken":
            return Outcome(False, [self.say("taken", case=label, holder=self._operator_name(exc.holder or ""))])
        if code == "already_yours":
            return Outcome(False, [self.say("already_yours", case=label)])
        if code == "not_owner":
            return Outcome(False, [self.say("not_owner", case=label, holder=self._operator_name(exc.holder or ""))])
        if code == "same_operator":
            return Outcome(False, [self.say("transfer_self")])
        if code == "already_holder":
            return Outcome(False, [self.say("transfer_to_holder", case=label,
                                            target=self._operator_name(exc.holder or ""))])
        if exc.status == "open":
            return Outcome(False, [self.say("not_claimed", case=label, number=number)])
        status = self.say(f"status_{exc.status}") if exc.status else code
        return Outcome(False, [self.say("bad_state", case=label, status=status)])
