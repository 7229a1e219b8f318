"""The operators' service: commands and button actions on cases, authorised, recorded, answered in phrases.

The console desk (handlers/operator_console.py) and the Telegram operators' group both go through
`OperatorDesk.handle(operator_id, text)` (the lines to show) or `OperatorDesk.execute` (the whole Outcome,
with the case acted on) for typed commands, or call the action methods (take, resolve, ...) for buttons.
A refusal is a phrase in the operators' language, never an exception; only operators configured in settings
may act, and a refused action changes nothing.

转办 (forwarding to a department) keeps the case claimed by the operator who forwarded it, with the department
recorded: the hotline stays answerable to the citizen, the department's answer comes back to that operator,
who replies and resolves. A transfer to another operator moves the claim to them.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontdesk.cases import (
    Case,
    CaseError,
    CaseEvent,
    CaseMessage,
    CaseStore,
    CitizenNotice,
    HandoverItem,
    Notice,
    Outbox,
    Reports,
)
from frontdesk.clock import Clock
from frontdesk.faq import Faq, load_faq
from frontdesk.knowledge import KnowledgeBase
from frontdesk.phrases import Phrasebook, load_phrases
from frontdesk.reload import reload_now
from frontdesk.settings import ROOT, Settings
from frontdesk.yamlfile import DataFileError

PHRASES_PATH = ROOT / "messages-operator.yaml"
DEFAULT_TIMEZONE = "Asia/Shanghai"
QUEUE_SHOWN = 20
HANDOVER_OPEN_SHOWN = 30
SNIPPET = 60
_COMMAND = re.compile(r"^/(\w+)(?:@\S+)?(?:\s+(.*))?$", re.DOTALL)
_CASE_ARG = re.compile(r"^#?(\d+)(?:\s+(.*))?$", re.DOTALL)
DEPARTMENT_PREFIX = "dept:"


class OperatorStore(CaseStore, Outbox, Reports, Protocol):
    """Everything the operators' service needs from the store."""


@dataclass(frozen=True)
class Outcome:
    """What an action did: whether it happened, what to tell the operator, and the case as it now is."""

    ok: bool
    lines: list[str]
    case: Case | None = None


def load_operator_phrases(path: str | Path | None = None) -> Phrasebook:
    """Load the operators' phrases (messages-operator.yaml by default)."""
    return load_phrases(path or PHRASES_PATH)


def localized(name: str, language: str) -> str:
    """Pick the language's part of a bilingual settings name written "中文 / English"."""
    parts = [p.strip() for p in name.split(" / ")]
    if len(parts) < 2:
        return name
    return parts[-1] if language == "en" else parts[0]


def _timezone(settings: Settings) -> dt.tzinfo:
    name = getattr(settings, "timezone", None) or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone(dt.timedelta(hours=8))


def _snippet(text: str, width: int = SNIPPET) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class OperatorDesk:
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
        self.tz = _timezone(settings)
        self.current: dict[str, int] = {}  # operator id -> the case they last took or acted on
        self.last_resolved: dict[str, int] = {}  # operator id -> the case they last resolved (for /addfaq)
        self._commands: dict[str, Callable] = {
            "queue": self._cmd_queue, "take": self._cmd_take, "reply": self._cmd_reply, "note": self._cmd_note,
            "faq": self._cmd_faq, "transfer": self._cmd_transfer, "release": self._cmd_release,
            "resolve": self._cmd_resolve, "history": self._cmd_history, "mine": self._cmd_mine,
            "onduty": self._cmd_onduty, "offduty": self._cmd_offduty, "handover": self._cmd_handover,
            "stats": self._cmd_stats, "help": self._cmd_help, "start": self._cmd_help,
            "addfaq": self._cmd_addfaq, "reload": self._cmd_reload,
        }

    # -- entry point ---------------------------------------------------------------------------------

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
        return await command(operator_id, args)

    # -- actions (also used by buttons) -------------------------------------------------------------

    async def take(self, operator_id: str, number: int | None = None) -> Outcome:
        """Claim a case (the head of the queue when no number is given)."""
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
            return self._refused(exc, number)
        self.current[operator_id] = number
        lines = [self.say("took", case=self.label(number), name=self._citizen_name(case),
                          lang_name=self.say(f"language_{case.language}") if case.language in ("zh", "en")
                          else case.language, reason=self._reason(case.reason), priority=self._priority(case.priority),
                          question=case.question)]
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
            return self._refused(exc, number)
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
            return self._refused(exc, number)
        self.current[operator_id] = number
        lang_name = self.say(f"language_{case.language}") if case.language in ("zh", "en") else case.language
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
            return self._refused(exc, number)
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
        if target == operator_id:
            return Outcome(False, [self.say("transfer_self")])
        try:
            case = await self.store.transfer(number, operator_id, target, why, force=self._is_supervisor(operator_id))
        except CaseError as exc:
            return self._refused(exc, number)
        if self.current.get(operator_id) == number:
            del self.current[operator_id]
        lines = [self.say("transferred", case=self.label(number), target=self._operator_name(target))]
        if target not in await self.store.on_duty_operators():
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
            return self._refused(exc, number)
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
            return self._refused(exc, number)
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
            return self._refused(exc, number)
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
            return self._refused(exc, number)
        shown = case.faq_draft
        if shown is None:
            replies = [m.text for m in await self.store.messages(number) if m.author == "operator" and m.text]
            shown = replies[-1] if replies else None
        if shown is None:
            return Outcome(True, [self.say("faq_marked_no_draft", case=self.label(number))], case)
        return Outcome(True, [self.say("faq_marked", case=self.label(number), draft=_snippet(shown))], case)

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

    async def queue_view(self, operator_id: str) -> Outcome:
        """List the open cases: overdue first, then urgent first, then oldest, with waiting times."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        waiting, total = await self.store.queue(limit=QUEUE_SHOWN)
        if not waiting:
            return Outcome(True, [self.say("queue_empty")])
        now = self.clock()
        shown = self.say("queue_shown", count=len(waiting)) if total > len(waiting) else ""
        lines = [self.say("queue_header", total=total, shown=shown)]
        for case in waiting:
            lines.append(self.say(
                "queue_line", overdue=self.say("overdue_mark") if self.overdue(case, now) else "",
                case=self.label(case.number), priority=self._priority(case.priority),
                waited=self.duration(now - case.waiting_since()), reason=self._reason(case.reason),
                name=self._citizen_name(case), question=_snippet(case.question),
            ))
        return Outcome(True, lines)

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
        lang_name = self.say(f"language_{case.language}") if case.language in ("zh", "en") else case.language
        lines = [self.say("history_header", case=self.label(number), status=self.say(f"status_{case.status}"),
                          priority=self._priority(case.priority), reason=self._reason(case.reason),
                          name=self._citizen_name(case), lang_name=lang_name)]
        timeline: list[tuple[float, int, str]] = [(m.created_at, 1, self._log_line(m))
                                                   for m in messages]
        timeline += [(e.at, 0, self._event_line(e)) for e in events]
        lines.extend(text for _, _, text in sorted(timeline, key=lambda t: (t[0], t[1])))
        return Outcome(True, lines, case)

    async def mine(self, operator_id: str) -> Outcome:
        """List the cases the operator holds, with their latest line."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        cases = await self.store.cases_of(operator_id)
        if not cases:
            return Outcome(True, [self.say("mine_empty")])
        lines = [self.say("mine_header", count=len(cases))]
        for case in cases:
            log = await self.store.messages(case.number)
            last = log[-1] if len(log) > 1 else None
            lines.append(self.say(
                "mine_line", case=self.label(case.number), priority=self._priority(case.priority),
                name=self._citizen_name(case), question=_snippet(case.question, 40),
                department=self._department_mark(case),
                last=self.say("last_line", author=self._author(last), text=_snippet(last.text, 40)) if last else "",
            ))
        return Outcome(True, lines)

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
        now = self.clock()
        stamp = self.local(now).strftime("%Y-%m-%d %H:%M")
        if not items:
            return Outcome(True, [self.say("handover_none", time=stamp)])
        open_items = [i for i in items if i.case.status == "open"]
        claimed = [i for i in items if i.case.status == "claimed"]
        overdue = sum(1 for i in open_items if self.overdue(i.case, now))
        lines = [self.say("handover_header", time=stamp, open=len(open_items), overdue=overdue, claimed=len(claimed))]
        for item in [*claimed, *open_items[:HANDOVER_OPEN_SHOWN]]:
            lines.extend(self._handover_lines(item, now))
        if len(open_items) > HANDOVER_OPEN_SHOWN:
            lines.append(self.say("handover_more", count=len(open_items) - HANDOVER_OPEN_SHOWN))
        return Outcome(True, lines)

    async def stats(self, operator_id: str) -> Outcome:
        """Report today's volume, handoffs by reason, and median times to claim and to resolve."""
        refusal = self._authorise(operator_id)
        if refusal is not None:
            return refusal
        now = self.clock()
        today = self.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
        report = await self.store.report(today.timestamp(), now + 1)
        sep = self.say("stats_separator")

        def items(counts: dict[str, int], name: Callable[[str], str]) -> str:
            if not counts:
                return self.say("stats_none")
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return sep.join(self.say("stats_item", name=name(k), count=v) for k, v in ranked)

        def median(values: list[float]) -> str:
            return self.duration(statistics.median(values)) if values else self.say("no_value")

        return Outcome(True, [self.say(
            "stats", date=today.strftime("%Y-%m-%d"), questions=report.questions,
            decisions=items(report.decisions, str), opened=report.cases_opened,
            reasons=items(report.handoffs_by_reason, self._reason), claimed=report.claimed,
            claim_median=median(report.claim_seconds), resolved=report.resolved,
            resolve_median=median(report.resolve_seconds), open_now=report.open_now,
            claimed_now=report.claimed_now,
        )])

    # -- what operators are told as it happens ------------------------------------------------------

    def render_notice(self, notice: Notice) -> str:
        """Turn a stored notice (escalation, transfer, withdrawal ...) into the sentence to show."""
        case = notice.case
        fields = {"case": self.label(case.number), "number": case.number, "name": self._citizen_name(case),
                  "question": _snippet(case.question), "priority": self._priority(case.priority)}
        if notice.kind == "escalated":
            return self.say("notice_escalated", waited=self.duration(notice.created_at - case.waiting_since()),
                            **fields)
        if notice.kind == "transferred":
            why = self.say("notice_why", why=notice.detail) if notice.detail else ""
            return self.say("notice_transferred", actor=self._operator_name(notice.actor or ""), why=why, **fields)
        if notice.kind == "undeliverable":
            return self.say("notice_undeliverable", why=notice.detail or "", case=fields["case"])
        key = f"notice_{notice.kind}"
        if key in self.phrases.phrases:
            return self.say(key, case=fields["case"])
        return f"{notice.kind} {fields['case']}"

    def render_citizen_message(self, case: Case, message: CaseMessage) -> str:
        """Turn a citizen's new line on a case into the sentence shown to the operator who holds it."""
        return self.say("citizen_message", case=self.label(case.number), name=self._citizen_name(case),
                        text=self._message_text(message))

    # -- helpers ------------------------------------------------------------------------------------

    def say(self, key: str, **fields: object) -> str:
        """Return an operator phrase in the operators' language."""
        return self.phrases.say(key, self.language, **fields)

    @staticmethod
    def label(number: int | None) -> str:
        """Return the case number as citizens and operators see it."""
        return f"#{number}"

    def overdue(self, case: Case, now: float) -> bool:
        """Say whether an open case has waited past its priority's claim limit."""
        limit = self.settings.queue.claim_limits.get(case.priority)
        return case.status == "open" and limit is not None and now - case.waiting_since() >= limit

    def local(self, timestamp: float) -> dt.datetime:
        """Return a timestamp as the hotline's local time."""
        return dt.datetime.fromtimestamp(timestamp, self.tz)

    def duration(self, seconds: float) -> str:
        """Say a length of time briefly: 45 s, 12 min, 2 h 5 min, 3 d 4 h."""
        seconds = max(0, int(seconds))
        if seconds < 60:
            return self.say("duration_seconds", s=seconds)
        minutes = seconds // 60
        if minutes < 60:
            return self.say("duration_minutes", m=minutes)
        hours, minutes = divmod(minutes, 60)
        if hours < 24:
            return self.say("duration_hours", h=hours, m=minutes)
        days, hours = divmod(hours, 24)
        return self.say("duration_days", d=days, h=hours)

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
        if exc.status == "open":
            return Outcome(False, [self.say("not_claimed", case=label, number=number)])
        status = self.say(f"status_{exc.status}") if exc.status else code
        return Outcome(False, [self.say("bad_state", case=label, status=status)])

    def _operator_name(self, operator_id: str) -> str:
        operator = self.settings.operator(operator_id)
        if operator is None:
            return operator_id
        name = localized(operator.name, self.language)
        return name if name == operator_id else f"{name} ({operator_id})"

    @staticmethod
    def _citizen_name(case: Case) -> str:
        return case.citizen.display_name or case.citizen.user_id

    def _priority(self, priority: str) -> str:
        key = f"priority_{priority}"
        return self.say(key) if key in self.phrases.phrases else priority

    def _reason(self, reason: str) -> str:
        key = f"reason_{reason}"
        return self.say(key) if key in self.phrases.phrases else reason

    def _department_mark(self, case: Case) -> str:
        if not case.department:
            return ""
        name = localized(self.settings.departments.get(case.department, case.department), self.language)
        return self.say("department_mark", department=name)

    def _author(self, message: CaseMessage) -> str:
        if message.author in ("operator", "note"):
            return self.say(f"author_{message.author}", operator=message.operator_id or "")
        return self.say(f"author_{message.author}")

    def _log_line(self, message: CaseMessage) -> str:
        return self.say("history_line", time=self.local(message.created_at).strftime("%m-%d %H:%M"),
                        author=self._author(message), text=self._message_text(message))

    def _message_text(self, message: CaseMessage) -> str:
        if message.attachment is None:
            return message.text
        return self.say("attachment_line", kind=message.attachment.kind, text=message.text or message.attachment.ref)

    def _event_line(self, event: CaseEvent) -> str:
        key = f"event_{event.kind}"
        detail = event.detail or ""
        target = event.target or ""
        if event.kind == "forwarded":
            target = localized(self.settings.departments.get(target, target), self.language)
        elif event.kind == "transferred":
            target = self._operator_name(target)
        if event.kind in ("transferred", "forwarded", "resolved", "marked_for_faq"):
            detail = self.say("event_detail", detail=detail) if detail else ""
        elif event.kind == "opened":
            detail = self._reason(detail)
        text = self.say(key, actor=self._operator_name(event.actor), target=target, detail=detail) \
            if key in self.phrases.phrases else f"{event.kind} {event.actor}"
        return self.say("history_event", time=self.local(event.at).strftime("%m-%d %H:%M"), event=text)

    def _handover_lines(self, item: HandoverItem, now: float) -> list[str]:
        case = item.case
        holder = self.say("handover_holder", holder=self._operator_name(case.operator_id)) if case.operator_id else ""
        lines = [self.say("handover_line", case=self.label(case.number), status=self.say(f"status_{case.status}"),
                          priority=self._priority(case.priority), holder=holder, name=self._citizen_name(case),
                          question=_snippet(case.question, 40))]
        last = item.last_message
        if last is not None:
            lines.append(self.say("handover_last", age=self.duration(now - last.created_at),
                                  author=self._author(last), text=_snippet(last.text)))
        pending = []
        if case.status == "open":
            pending.append(self.say("pending_overdue" if self.overdue(case, now) else "pending_queue"))
        else:
            if case.department:
                name = localized(self.settings.departments.get(case.department, case.department), self.language)
                pending.append(self.say("pending_department", department=name))
            if last is not None and last.author == "citizen":
                pending.append(self.say("pending_reply"))
            elif last is not None and last.author in ("operator", "bot"):
                pending.append(self.say("pending_citizen"))
        if item.undelivered:
            pending.append(self.say("pending_undelivered", count=item.undelivered))
        if item.failed:
            pending.append(self.say("pending_failed", count=item.failed))
        if case.citizen_blocked:
            pending.append(self.say("pending_blocked"))
        if pending:
            lines.append(self.say("handover_pending", pending=self.say("pending_separator").join(pending)))
        return lines

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
