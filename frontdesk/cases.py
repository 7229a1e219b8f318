"""The case domain: cases, their messages and events, and the store interfaces the desk and operators rely on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from frontdesk.model import Attachment, Citizen

PRIORITIES = ("urgent", "high", "normal")
REASONS = ("unmatched", "urgent", "requested", "complaint", "not_helpful")
ACTIVE_STATUSES = ("open", "claimed")
STATUSES = ("open", "claimed", "resolved", "cancelled", "closed")
AUTHORS = ("citizen", "bot", "operator", "note", "system")
# Steps recorded in a case's event log, each with who did it and when.
EVENT_KINDS = (
    "opened", "claimed", "released", "transferred", "forwarded", "resolved",
    "reopened", "cancelled", "closed", "escalated", "marked_for_faq", "priority_raised",
    "chat_moved", "citizen_blocked", "citizen_unblocked", "taken_over",
)
OUTBOX_STATUSES = ("pending", "delivered", "failed")


class CaseError(Exception):
    """A case action that was refused; `code` says why (not_found, not_owner, bad_state, not_operator, taken)."""

    def __init__(self, code: str, message: str = "", holder: str | None = None, status: str | None = None):
        super().__init__(message or code)
        self.code = code
        self.holder = holder
        self.status = status


@dataclass(frozen=True)
class Case:
    """A citizen's matter handed to humans, from opening to resolution."""

    number: int
    citizen: Citizen
    reason: str
    priority: str
    status: str  # open | claimed | resolved | cancelled | closed
    question: str
    language: str
    created_at: float  # epoch seconds, UTC
    updated_at: float
    category: str | None = None
    operator_id: str | None = None
    department: str | None = None
    claimed_at: float | None = None
    resolved_at: float | None = None
    escalated_at: float | None = None
    summary: str | None = None
    citizen_blocked: bool = False
    queued_at: float | None = None  # when it (re-)entered the queue: opening, release or reopening
    cancelled_at: float | None = None
    closed_at: float | None = None
    add_to_faq: bool = False  # an operator marked it for the FAQ (see `faq gaps`)
    faq_draft: str | None = None  # the operator's draft answer; None: their last reply serves as the draft

    @property
    def is_active(self) -> bool:
        """Say whether the case is still waiting for or being handled by a human."""
        return self.status in ACTIVE_STATUSES

    def waiting_since(self) -> float:
        """Return when the case started waiting in the queue."""
        return self.queued_at if self.queued_at is not None else self.created_at


@dataclass(frozen=True)
class CaseMessage:
    """One line of a case's log: citizen, bot, operator, internal note or system event."""

    id: int
    case_number: int
    author: str
    text: str
    created_at: float
    operator_id: str | None = None
    platform_message_id: str | None = None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class CaseEvent:
    """One step in a case's life: what happened, who did it, when, and to whom or where."""

    id: int
    case_number: int
    kind: str  # one of EVENT_KINDS
    actor: str  # operator id, "citizen:USER", or "system"
    at: float
    target: str | None = None  # operator transferred to, or department key forwarded to
    detail: str | None = None  # why, or the resolution summary


@dataclass(frozen=True)
class Notice:
    """Something an operator must be told (an escalation, a transfer to them, a withdrawal), kept until shown."""

    id: int
    operator_id: str
    kind: str  # escalated | transferred | taken_over | cancelled | reopened
    case: Case
    actor: str | None
    detail: str | None
    created_at: float


@dataclass(frozen=True)
class OutboxItem:
    """A reply stored for delivery to a citizen, with its delivery state."""

    id: int
    case_number: int | None
    platform: str
    chat_id: str
    text: str
    author_operator: str | None
    status: str  # pending | delivered | failed
    attempts: int
    next_attempt_at: float
    created_at: float
    message_id: int | None = None  # the line in the case log this delivery belongs to
    delivered_at: float | None = None
    platform_message_id: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class CasePost:
    """A message posted about a case on an operators' platform: its card, its topic, a line of its thread."""

    case_number: int
    platform: str
    chat_id: str
    message_id: str  # for a forum topic (kind "topic"), the topic's thread id
    kind: str  # card | topic | citizen | reply | escalation ...
    created_at: float
    thread_id: str | None = None  # the forum topic the message is in, if any
    pinned: bool = False  # the platform shows it pinned (an urgent case's card)


@dataclass(frozen=True)
class HandoverItem:
    """One active case as the next shift needs to see it."""

    case: Case
    last_message: CaseMessage | None
    undelivered: int  # replies still pending in the outbox
    failed: int  # replies that could not be delivered


@dataclass(frozen=True)
class Interaction:
    """One citizen question and what the desk decided, as the reports and gap mining read it."""

    id: int
    at: float
    platform: str
    user_id: str
    language: str
    text: str
    decision: str
    intent: str | None
    entry_id: str | None
    score: float | None
    case_number: int | None
    helpful: bool | None


@dataclass(frozen=True)
class DayReport:
    """Figures for a period (a day, usually) for /stats and the daily report."""

    questions: int
    decisions: dict[str, int]
    cases_opened: int
    handoffs_by_reason: dict[str, int]
    claimed: int
    resolved: int
    claim_seconds: list[float]  # time from entering the queue to the first claim, per case claimed
    resolve_seconds: list[float]  # time from opening to resolution, per case resolved
    open_now: int
    claimed_now: int


CitizenNotice = Callable[[Case], str]
"""Builds the text sent to the citizen about a step (in the case's language); stored in the same transaction."""


class DeskStore(Protocol):
    """What the citizen-facing desk needs from persistence (the SQLite store implements it)."""

    async def open_case(
        self,
        citizen: Citizen,
        *,
        reason: str,
        priority: str,
        question: str,
        language: str,
        category: str | None = None,
        message_id: str | None = None,
    ) -> Case:
        """Open a case with the citizen's question as its first message."""

    async def active_case_for(self, platform: str, user_id: str) -> Case | None:
        """Return the citizen's open or claimed case, if any."""

    async def reopenable_case_for(self, platform: str, user_id: str, within_days: float) -> Case | None:
        """Return the citizen's case resolved within the last `within_days`, if any."""

    async def add_message(
        self,
        case_number: int,
        author: str,
        text: str,
        *,
        operator_id: str | None = None,
        platform_message_id: str | None = None,
        attachment: Attachment | None = None,
    ) -> bool:
        """Append to a case's log; return False when this platform message id was already stored."""

    async def attach(self, case_number: int, platform_message_id: str, attachment: Attachment) -> bool:
        """Attach a file to the citizen's line stored for a platform message; say whether the line was found."""

    async def set_case_language(self, case_number: int, language: str, line: str) -> bool:
        """Conduct an active case in another language, with `line` in its log as a system line; say if it changed."""

    async def reopen(self, case_number: int, actor: str) -> Case:
        """Put a resolved case back in the queue."""

    async def cancel(self, case_number: int, actor: str) -> Case:
        """Withdraw an active case at the citizen's request."""

    async def citizen_wrote_from(self, case_number: int, chat_id: str, actor: str) -> None:
        """Make the chat the citizen just wrote from about the case its reply chat, reachable; record the changes."""

    async def mark_citizen_reachable(self, case_number: int, chat_id: str, actor: str = "system") -> bool:
        """Clear "citizen blocked the bot" when `chat_id` is the case's reply chat; say whether it was set."""

    async def queue_position(self, case_number: int) -> int | None:
        """Return the 1-based place of an open case in the queue, or None when it is not waiting."""

    async def log_interaction(
        self,
        citizen: Citizen,
        *,
        text: str,
        language: str,
        decision: str,
        intent: str | None,
        entry_id: str | None,
        score: float | None,
        case_number: int | None = None,
    ) -> int:
        """Record one question and what the desk decided; return its id (for feedback and reports)."""

    async def record_feedback(self, interaction_id: int, helpful: bool) -> None:
        """Store the citizen's helpful / not helpful verdict on an answer."""

    async def interaction_text(self, interaction_id: int) -> str | None:
        """Return the question text of a logged interaction, or None."""

    async def citizen_question(self, platform: str, user_id: str, interaction_id: int) -> Interaction | None:
        """Return a question this citizen asked (a logged interaction), or None when it is not theirs or is gone."""

    async def citizen_language(self, platform: str, user_id: str) -> str | None:
        """Return the language the citizen chose with /lang, if any."""

    async def set_citizen_language(self, platform: str, user_id: str, language: str) -> None:
        """Remember the citizen's chosen language."""


class CaseStore(Protocol):
    """What operators need: the queue and the lifecycle steps, each one atomic and recorded."""

    async def get_case(self, case_number: int) -> Case | None:
        """Return the case with this number, or None."""

    async def queue(self, limit: int = 20) -> tuple[list[Case], int]:
        """Return the first `limit` open cases (overdue, then urgent first, then oldest) and how many are open."""

    async def cases_of(self, operator_id: str) -> list[Case]:
        """Return the cases an operator holds, oldest first."""

    async def claim(self, case_number: int, operator_id: str, *, citizen_notice: CitizenNotice | None = None) -> Case:
        """Take an open case; raise CaseError('taken', holder=...) when someone else got it first."""

    async def release(self, case_number: int, operator_id: str, *, force: bool = False) -> Case:
        """Put a claimed case back in the queue (force: a supervisor acting on another's case)."""

    async def transfer(
        self, case_number: int, operator_id: str, to_operator: str, why: str = "", *, force: bool = False,
    ) -> Case:
        """Hand a claimed case to another operator."""

    async def forward(
        self, case_number: int, operator_id: str, department: str, why: str = "",
        *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Forward a claimed case to a department (转办); the operator keeps it to follow up."""

    async def resolve(
        self, case_number: int, operator_id: str, summary: str = "", *, citizen_notice: CitizenNotice | None = None,
    ) -> Case:
        """Mark a claimed case resolved."""

    async def add_note(self, case_number: int, operator_id: str, text: str) -> CaseMessage:
        """Add an internal note (never shown to the citizen) to any case."""

    async def mark_for_faq(
        self, case_number: int, operator_id: str, draft: str | None = None, *, force: bool = False,
    ) -> Case:
        """Mark a claimed or resolved case "add to FAQ" (its holder or resolver; force: the supervisor)."""

    async def messages(self, case_number: int) -> list[CaseMessage]:
        """Return a case's log in order."""

    async def events(self, case_number: int) -> list[CaseEvent]:
        """Return a case's steps in order."""

    async def citizen_messages_since(
        self, after_id: int, operator_id: str | None = None,
    ) -> list[tuple[Case, CaseMessage]]:
        """Return citizen lines newer than `after_id` on active cases (held by `operator_id`, if given)."""

    async def last_message_id(self) -> int:
        """Return the newest log line id (a cursor for citizen_messages_since)."""

    async def handover(self) -> list[HandoverItem]:
        """Return every open and claimed case with its last message and undelivered replies."""

    async def set_on_duty(self, operator_id: str, on_duty: bool) -> None:
        """Record that an operator started or ended a shift."""

    async def on_duty_operators(self) -> list[str]:
        """Return the ids of the operators on duty."""

    async def escalate_overdue(
        self, *, supervisor: str | None = None, fallback: tuple[str, ...] = (),
    ) -> list[tuple[Case, list[str]]]:
        """Mark open cases past their claim limit escalated, once, with a notice to each on-duty operator."""

    async def close_resolved(self, older_than_days: float) -> list[int]:
        """Close resolved cases not reopened within `older_than_days`; return their numbers."""

    async def pop_notices(self, operator_id: str | None = None) -> list[Notice]:
        """Return and mark seen the notices waiting for an operator (or for everyone when None)."""


class Outbox(Protocol):
    """Replies to citizens: stored first, delivered later, never lost or sent twice."""

    async def enqueue(
        self, case_number: int | None, platform: str, chat_id: str, text: str, author_operator: str | None,
    ) -> OutboxItem:
        """Store a reply and its case-log line in one transaction, for delivery by the platform's sender."""

    async def claim_due(
        self, platforms: tuple[str, ...], *, chat_id: str | None = None, lease: float = 60.0, limit: int = 20,
    ) -> list[OutboxItem]:
        """Lease the items due for delivery so no other worker sends them meanwhile."""

    async def mark_delivered(self, item_id: int, platform_message_id: str | None) -> None:
        """Record a successful delivery."""

    async def mark_retry(self, item_id: int, next_attempt_at: float, error: str) -> None:
        """Record a failed attempt and when to try again."""

    async def mark_failed(self, item_id: int, error: str) -> None:
        """Give up on an item for good."""

    async def mark_citizen_blocked(self, case_number: int) -> None:
        """Record that the citizen blocked the bot, so operators know replies cannot reach them."""

    async def mark_citizen_reachable(self, case_number: int, chat_id: str, actor: str = "system") -> bool:
        """Clear "citizen blocked the bot" after a delivery to the case's reply chat; say whether it was set."""

    async def outbox_items(self, case_number: int) -> list[OutboxItem]:
        """Return a case's outbox items in order, whatever their state."""


class Reports(Protocol):
    """Figures for /stats and the maintainers' reports."""

    async def report(self, since: float, until: float) -> DayReport:
        """Return the figures for the period [since, until)."""

    async def interactions(self, since: float, until: float) -> list[Interaction]:
        """Return the questions logged in [since, until), oldest first (for gap mining and daily reports)."""


class CasePosts(Protocol):
    """Where a case was posted on an operators' platform, so replies there thread to the case."""

    async def add_case_post(
        self, case_number: int, platform: str, chat_id: str, message_id: str, kind: str,
        *, thread_id: str | None = None,
    ) -> None:
        """Remember a message posted about a case (its card, a forwarded citizen line), and its topic if any."""

    async def case_for_post(self, platform: str, chat_id: str, message_id: str) -> int | None:
        """Return the case a posted message belongs to, or None."""

    async def case_posts(self, case_number: int, platform: str) -> list[CasePost]:
        """Return what was posted about a case on a platform, oldest first."""

    async def cases_without_post(self, platform: str, chat_id: str, kind: str, limit: int) -> list[int]:
        """Return up to `limit` active cases with no post of `kind` in a chat, most urgent and oldest first."""

    async def set_post_pinned(self, platform: str, chat_id: str, message_id: str, pinned: bool) -> None:
        """Record that a posted message was pinned or unpinned."""
