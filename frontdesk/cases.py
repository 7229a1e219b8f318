"""The case domain: cases, their messages and events, and the store interface the desk relies on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from frontdesk.model import Attachment, Citizen

PRIORITIES = ("urgent", "high", "normal")
REASONS = ("unmatched", "urgent", "requested", "complaint", "not_helpful")
ACTIVE_STATUSES = ("open", "claimed")
AUTHORS = ("citizen", "bot", "operator", "note", "system")


class CaseError(Exception):
    """A case action that was refused; `code` says why (not_found, not_owner, bad_state, not_operator)."""

    def __init__(self, code: str, message: str = "", holder: str | None = None):
        super().__init__(message or code)
        self.code = code
        self.holder = holder


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

    @property
    def is_active(self) -> bool:
        """Say whether the case is still waiting for or being handled by a human."""
        return self.status in ACTIVE_STATUSES


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

    async def reopen(self, case_number: int, actor: str) -> Case:
        """Put a resolved case back in the queue."""

    async def cancel(self, case_number: int, actor: str) -> Case:
        """Withdraw an active case at the citizen's request."""

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

    async def citizen_language(self, platform: str, user_id: str) -> str | None:
        """Return the language the citizen chose with /lang, if any."""

    async def set_citizen_language(self, platform: str, user_id: str, language: str) -> None:
        """Remember the citizen's chosen language."""
