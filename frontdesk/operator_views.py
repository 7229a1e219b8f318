"""The operators' views as lines: queue, case history, own cases, handover, today's figures and notices.

Pure wording: the desk reads the store and hands the cases, logs and figures in.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Collection
from dataclasses import dataclass

from frontdesk.cases import Case, CaseEvent, CaseMessage, DayReport, HandoverItem, Notice
from frontdesk.operator_wording import OperatorWording, localized, snippet

HANDOVER_OPEN_SHOWN = 30


@dataclass(frozen=True)
class NextStep:
    """Who owes a claimed case its next step, and since when the citizen has waited for a reply."""

    owner: str  # "department", "operator" (the citizen waits for a reply), "citizen", or "" (nothing to say)
    waiting_since: float | None = None  # owner "operator": the citizen's first line with no reply after it


def next_step(case: Case, log: list[CaseMessage], events: list[CaseEvent]) -> NextStep:
    """Say who owes a claimed case its next step; bot notices and internal notes are not replies.

    Forwarded and no operator reply since the forward: the department. Else a citizen line (the question
    included) with no operator reply after it: the operator. Else, after an operator reply: the citizen.
    """
    replies = [m for m in log if m.author == "operator"]
    last_reply = replies[-1] if replies else None
    forwards = [e.at for e in events if e.kind == "forwarded"]
    if case.department and forwards and (last_reply is None or last_reply.created_at < forwards[-1]):
        return NextStep("department")
    unanswered = [m for m in log if m.author == "citizen" and (last_reply is None or m.id > last_reply.id)]
    if unanswered:
        return NextStep("operator", unanswered[0].created_at)
    return NextStep("citizen" if last_reply else "")


class OperatorViews(OperatorWording):
    """Render what operators look at, from cases, logs and figures already read."""

    def overdue(self, case: Case, now: float) -> bool:
        """Say whether an open case has waited past its priority's claim limit."""
        limit = self.settings.queue.claim_limits.get(case.priority)
        return case.status == "open" and limit is not None and now - case.waiting_since() >= limit

    def queue_lines(self, waiting: list[Case], total: int, now: float) -> list[str]:
        """Return the queue: a header with how many are open, then a line per waiting case."""
        shown = self.say("queue_shown", count=len(waiting)) if total > len(waiting) else ""
        lines = [self.say("queue_header", total=total, shown=shown)]
        for case in waiting:
            lines.append(self.say(
                "queue_line", overdue=self.say("overdue_mark") if self.overdue(case, now) else "",
                case=self.label(case.number), priority=self._priority(case.priority),
                waited=self.duration(now - case.waiting_since()), reason=self._reason(case.reason),
                name=self._citizen_name(case), question=snippet(case.question),
            ))
        return lines

    def history_lines(self, case: Case, messages: list[CaseMessage], events: list[CaseEvent]) -> list[str]:
        """Return a case's header, then its log lines and steps merged in time order."""
        lang_name = self.language_name(case.language)
        lines = [self.say("history_header", case=self.label(case.number), status=self.say(f"status_{case.status}"),
                          priority=self._priority(case.priority), reason=self._reason(case.reason),
                          name=self._citizen_name(case), lang_name=lang_name)]
        timeline: list[tuple[float, int, str]] = [(m.created_at, 1, self._log_line(m))
                                                   for m in messages]
        timeline += [(e.at, 0, self._event_line(e)) for e in events]
        lines.extend(text for _, _, text in sorted(timeline, key=lambda t: (t[0], t[1])))
        return lines

    def mine_lines(self, held: list[tuple[Case, CaseMessage | None]]) -> list[str]:
        """Return an operator's cases, each with its latest line after the opening one (None: no such line)."""
        lines = [self.say("mine_header", count=len(held))]
        for case, last in held:
            lines.append(self.say(
                "mine_line", case=self.label(case.number), priority=self._priority(case.priority),
                name=self._citizen_name(case), question=snippet(case.question, 40),
                department=self._department_mark(case),
                last=self.say("last_line", author=self._author(last), text=snippet(last.text, 40)) if last else "",
            ))
        return lines

    def handover_lines(
        self, items: list[HandoverItem], now: float, steps: dict[int, NextStep] | None = None,
        on_duty: Collection[str] = (),
    ) -> list[str]:
        """Return the handover: counts, each claimed case, then the open ones (the first HANDOVER_OPEN_SHOWN).

        `steps` says who owes each claimed case its next step; `on_duty` who could take over an absent holder's.
        """
        stamp = self.local(now).strftime("%Y-%m-%d %H:%M")
        if not items:
            return [self.say("handover_none", time=stamp)]
        open_items = [i for i in items if i.case.status == "open"]
        claimed = [i for i in items if i.case.status == "claimed"]
        overdue = sum(1 for i in open_items if self.overdue(i.case, now))
        lines = [self.say("handover_header", time=stamp, open=len(open_items), overdue=overdue, claimed=len(claimed))]
        for item in [*claimed, *open_items[:HANDOVER_OPEN_SHOWN]]:
            lines.extend(self._handover_item_lines(item, now, (steps or {}).get(item.case.number), on_duty))
        if len(open_items) > HANDOVER_OPEN_SHOWN:
            lines.append(self.say("handover_more", count=len(open_items) - HANDOVER_OPEN_SHOWN))
        return lines

    def stats_lines(self, report: DayReport, today: dt.datetime) -> list[str]:
        """Return today's figures: volume, decisions, handoffs by reason, and median times to claim and resolve."""
        sep = self.say("stats_separator")

        def items(counts: dict[str, int], name: Callable[[str], str]) -> str:
            if not counts:
                return self.say("stats_none")
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return sep.join(self.say("stats_item", name=name(k), count=v) for k, v in ranked)

        def median(values: list[float]) -> str:
            return self.duration(statistics.median(values)) if values else self.say("no_value")

        return [self.say(
            "stats", date=today.strftime("%Y-%m-%d"), questions=report.questions,
            decisions=items(report.decisions, str), opened=report.cases_opened,
            reasons=items(report.handoffs_by_reason, self._reason), claimed=report.claimed,
            claim_median=median(report.claim_seconds), resolved=report.resolved,
            resolve_median=median(report.resolve_seconds), open_now=report.open_now,
            claimed_now=report.claimed_now,
        )]

    # -- what operators are told as it happens ------------------------------------------------------

    def render_notice(self, notice: Notice) -> str:
        """Turn a stored notice (escalation, transfer, withdrawal ...) into the sentence to show."""
        case = notice.case
        fields = {"case": self.label(case.number), "number": case.number, "name": self._citizen_name(case),
                  "question": snippet(case.question), "priority": self._priority(case.priority)}
        if notice.kind == "escalated":
            return self.say("notice_escalated", waited=self.duration(notice.created_at - case.waiting_since()),
                            **fields)
        if notice.kind == "transferred":
            why = self.say("notice_why", why=notice.detail) if notice.detail else ""
            return self.say("notice_transferred", actor=self._operator_name(notice.actor or ""), why=why, **fields)
        if notice.kind == "taken_over":
            return self.say("notice_taken_over", actor=self._operator_name(notice.actor or ""), **fields)
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

    # -- parts of the views -------------------------------------------------------------------------

    def _holder_absent(self, operator_id: str, on_duty: Collection[str]) -> bool:
        """Say whether a case's holder is off duty or gone from the roster."""
        return operator_id not in on_duty or self.settings.operator(operator_id) is None

    def _department_mark(self, case: Case) -> str:
        if not case.department:
            return ""
        name = localized(self.settings.departments.get(case.department, case.department), self.language)
        return self.say("department_mark", department=name)

    def _event_line(self, event: CaseEvent) -> str:
        key = f"event_{event.kind}"
        detail = event.detail or ""
        target = event.target or ""
        if event.kind == "forwarded":
            target = localized(self.settings.departments.get(target, target), self.language)
        elif event.kind in ("transferred", "taken_over"):
            target = self._operator_name(target)
        if event.kind in ("transferred", "forwarded", "resolved", "marked_for_faq"):
            detail = self.say("event_detail", detail=detail) if detail else ""
        elif event.kind == "opened":
            detail = self._reason(detail)
        text = self.say(key, actor=self._operator_name(event.actor), target=target, detail=detail) \
            if key in self.phrases.phrases else f"{event.kind} {event.actor}"
        return self.say("history_event", time=self.local(event.at).strftime("%m-%d %H:%M"), event=text)

    def _handover_item_lines(
        self, item: HandoverItem, now: float, step: NextStep | None, on_duty: Collection[str],
    ) -> list[str]:
        case = item.case
        holder = self.say("handover_holder", holder=self._operator_name(case.operator_id)) if case.operator_id else ""
        lines = [self.say("handover_line", case=self.label(case.number), status=self.say(f"status_{case.status}"),
                          priority=self._priority(case.priority), holder=holder, name=self._citizen_name(case),
                          question=snippet(case.question, 40))]
        last = item.last_message
        if last is not None:
            lines.append(self.say("handover_last", age=self.duration(now - last.created_at),
                                  author=self._author(last), text=snippet(last.text)))
        pending = []
        if case.status == "open":
            pending.append(self.say("pending_overdue" if self.overdue(case, now) else "pending_queue"))
        else:
            pending.extend(self._next_step_lines(case, step, now))
            if on_duty and self._holder_absent(case.operator_id or "", on_duty):
                pending.append(self.say("pending_holder_off_duty", holder=self._operator_name(case.operator_id or ""),
                                        number=case.number))
        if item.undelivered:
            pending.append(self.say("pending_undelivered", count=item.undelivered))
        if item.failed:
            pending.append(self.say("pending_failed", count=item.failed))
        if case.citizen_blocked:
            pending.append(self.say("pending_blocked"))
        if pending:
            lines.append(self.say("handover_pending", pending=self.say("pending_separator").join(pending)))
        return lines

    def _next_step_lines(self, case: Case, step: NextStep | None, now: float) -> list[str]:
        """Say who owes a claimed case its next step; flag a citizen waiting past the priority's time limit."""
        if step is None or not step.owner:
            return []
        if step.owner == "department":
            name = localized(self.settings.departments.get(case.department or "", case.department or ""),
                             self.language)
            return [self.say("pending_department", department=name)]
        if step.owner == "citizen":
            return [self.say("pending_citizen")]
        limit = self.settings.queue.claim_limits.get(case.priority)
        waited = now - (step.waiting_since or now)
        if limit is not None and waited >= limit:
            return [self.say("pending_reply_overdue", waited=self.duration(waited))]
        return [self.say("pending_reply")]
