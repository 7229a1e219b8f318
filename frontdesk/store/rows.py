"""The store's rows: turn SQLite rows into the case domain's dataclasses, and lists into IN (...) placeholders."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from frontdesk.cases import Case, CaseEvent, CaseMessage, CasePost, Interaction, OutboxItem
from frontdesk.model import Attachment, Citizen


def case_from(row: sqlite3.Row) -> Case:
    """Return the case a `cases` row holds."""
    return Case(
        number=row["number"],
        citizen=Citizen(row["platform"], row["user_id"], row["chat_id"], row["display_name"],
                        row["citizen_language"]),
        reason=row["reason"],
        priority=row["priority"],
        status=row["status"],
        question=row["question"],
        language=row["language"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        category=row["category"],
        operator_id=row["operator_id"],
        department=row["department"],
        claimed_at=row["claimed_at"],
        resolved_at=row["resolved_at"],
        escalated_at=row["escalated_at"],
        summary=row["summary"],
        citizen_blocked=bool(row["citizen_blocked"]),
        queued_at=row["queued_at"],
        cancelled_at=row["cancelled_at"],
        closed_at=row["closed_at"],
        add_to_faq=bool(row["add_to_faq"]),
        faq_draft=row["faq_draft"],
    )


def message_from(row: sqlite3.Row) -> CaseMessage:
    """Return the log line a `case_messages` row holds, with its attachment if any."""
    attachment = None
    if row["attachment_kind"]:
        attachment = Attachment(row["attachment_kind"], row["attachment_ref"] or "", row["attachment_caption"] or "")
    return CaseMessage(
        id=row["id"], case_number=row["case_number"], author=row["author"], text=row["text"],
        created_at=row["created_at"], operator_id=row["operator_id"],
        platform_message_id=row["platform_message_id"], attachment=attachment,
    )


def event_from(row: sqlite3.Row) -> CaseEvent:
    """Return the step a `case_events` row holds."""
    return CaseEvent(id=row["id"], case_number=row["case_number"], kind=row["kind"], actor=row["actor"],
                     at=row["at"], target=row["target"], detail=row["detail"])


def outbox_item_from(row: sqlite3.Row) -> OutboxItem:
    """Return the reply an `outbox` row holds, with its delivery state."""
    return OutboxItem(
        id=row["id"], case_number=row["case_number"], platform=row["platform"], chat_id=row["chat_id"],
        text=row["text"], author_operator=row["author_operator"], status=row["status"], attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"], created_at=row["created_at"], message_id=row["message_id"],
        delivered_at=row["delivered_at"], platform_message_id=row["platform_message_id"],
        last_error=row["last_error"],
    )


def interaction_from(row: sqlite3.Row) -> Interaction:
    """Return the logged question an `interactions` row holds."""
    return Interaction(
        id=row["id"], at=row["at"], platform=row["platform"], user_id=row["user_id"], language=row["language"],
        text=row["text"], decision=row["decision"], intent=row["intent"], entry_id=row["entry_id"],
        score=row["score"], case_number=row["case_number"],
        helpful=None if row["helpful"] is None else bool(row["helpful"]),
    )


def post_from(row: sqlite3.Row) -> CasePost:
    """Return the posted message a `case_posts` row holds."""
    return CasePost(
        case_number=row["case_number"], platform=row["platform"], chat_id=row["chat_id"],
        message_id=row["message_id"], kind=row["kind"], created_at=row["created_at"], thread_id=row["thread_id"],
        pinned=bool(row["pinned"]),
    )


def marks(values: Sequence[object]) -> str:
    """Return one `?` placeholder per value, comma-separated, for an IN (...) list."""
    return ",".join("?" * len(values))
