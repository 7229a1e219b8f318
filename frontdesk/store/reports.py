"""Read queries for the maintainers' tools (the report, FAQ gaps): plain rows over a period [since, until).

Each function takes an open SqliteStore and reads in one snapshot on its connection; nothing here writes.
Times are epoch seconds (UTC) as stored; turning them into local days and hours is the caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.store.sqlite import SqliteStore

ANSWERED = ("answer", "suggest")  # decisions in which the bot pointed at an FAQ entry


@dataclass(frozen=True)
class QuestionRow:
    """One logged citizen question without its text: when, what the desk decided, about which entry."""

    at: float
    decision: str
    intent: str | None
    entry_id: str | None
    helpful: bool | None
    language: str


@dataclass(frozen=True)
class CaseRow:
    """One case as the report counts it, without personal details."""

    number: int
    reason: str
    category: str | None
    priority: str
    status: str
    created_at: float
    first_claimed_at: float | None
    escalated_at: float | None
    department: str | None
    resolved_at: float | None


@dataclass(frozen=True)
class Forward:
    """A case forwarded to a department (转办)."""

    case_number: int
    department: str
    at: float


@dataclass(frozen=True)
class MissedQuestion:
    """A question the bot could not answer: unmatched, none of the suggestions fitted, or judged not helpful."""

    id: int
    at: float
    text: str
    language: str
    kind: str  # unmatched | none_fit | not_helpful
    entry_id: str | None  # not_helpful: the entry whose answer did not help; else the closest entry logged
    score: float | None
    case_number: int | None


@dataclass(frozen=True)
class FaqSuggestion:
    """A case an operator marked "add to FAQ", with the draft answer (the operator's draft, else the last reply)."""

    case_number: int
    question: str
    category: str | None
    language: str
    marked_at: float
    operator_id: str | None
    draft: str | None


async def questions(store: SqliteStore, since: float, until: float) -> list[QuestionRow]:
    """Return the questions logged in the period, oldest first, without their texts."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT at, decision, intent, entry_id, helpful, language FROM interactions
                   WHERE at >= ? AND at < ? ORDER BY at""", (since, until))
    return [QuestionRow(r["at"], r["decision"], r["intent"], r["entry_id"],
                        None if r["helpful"] is None else bool(r["helpful"]), r["language"]) for r in rows]


async def question_count(store: SqliteStore, since: float, until: float) -> int:
    """Return how many questions were logged in the period."""
    async with store._read() as db:
        row = await store._one(db, "SELECT COUNT(*) FROM interactions WHERE at >= ? AND at < ?", (since, until))
    return row[0]


async def follow_ups(store: SqliteStore, since: float, until: float) -> list[float]:
    """Return the times of citizens' messages inside cases in the period, other than each case's opening line."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT m.created_at AS at FROM case_messages m
                   WHERE m.author = 'citizen' AND m.created_at >= ? AND m.created_at < ?
                     AND m.id > (SELECT MIN(f.id) FROM case_messages f WHERE f.case_number = m.case_number)
                   ORDER BY m.created_at""", (since, until))
    return [r["at"] for r in rows]


async def cases_opened(store: SqliteStore, since: float, until: float) -> list[CaseRow]:
    """Return the cases opened in the period, oldest first."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT number, reason, category, priority, status, created_at, first_claimed_at, escalated_at,
                          department, resolved_at
                   FROM cases WHERE created_at >= ? AND created_at < ? ORDER BY created_at""", (since, until))
    return [CaseRow(**dict(r)) for r in rows]


async def forwards(store: SqliteStore, since: float, until: float) -> list[Forward]:
    """Return the forwards to departments made in the period."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT case_number, target, at FROM case_events
                   WHERE kind = 'forwarded' AND at >= ? AND at < ? ORDER BY at""", (since, until))
    return [Forward(r["case_number"], r["target"] or "?", r["at"]) for r in rows]


async def entry_counts(store: SqliteStore, since: float, until: float) -> dict[str, int]:
    """Return how often each FAQ entry was answered or suggested in the period."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, f"""SELECT entry_id, COUNT(*) AS n FROM interactions
                    WHERE at >= ? AND at < ? AND entry_id IS NOT NULL
                      AND decision IN ({",".join("?" * len(ANSWERED))})
                    GROUP BY entry_id""", (since, until, *ANSWERED))
    return {r["entry_id"]: r["n"] for r in rows}


async def missed_questions(store: SqliteStore, since: float, until: float) -> list[MissedQuestion]:
    """Return the questions the bot could not answer in the period (texts removed by a purge are left out)."""
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT i.id, i.at, i.text, i.language, i.entry_id, i.score, i.case_number,
                          CASE WHEN i.helpful = 0 THEN 'not_helpful'
                               WHEN c.reason = 'unmatched' THEN 'unmatched' ELSE 'none_fit' END AS kind
                   FROM interactions i LEFT JOIN cases c ON c.number = i.case_number
                   WHERE i.at >= ? AND i.at < ? AND i.text <> ''
                     AND (i.helpful = 0
                          OR (i.decision = 'handoff' AND i.intent IS NULL AND substr(i.text, 1, 1) <> '/'
                              AND c.reason IN ('unmatched', 'requested')))
                   ORDER BY i.at""", (since, until))
    return [MissedQuestion(r["id"], r["at"], r["text"], r["language"], r["kind"], r["entry_id"], r["score"],
                           r["case_number"]) for r in rows]


async def faq_suggestions(store: SqliteStore, since: float, until: float) -> list[FaqSuggestion]:
    """Return the cases an operator marked "add to FAQ" in the period, oldest mark first.

    The draft is the case's faq_draft, else the operator's last reply to the citizen; the latest mark in the
    period says when and by whom. Cases whose texts a purge removed are left out.
    """
    async with store._read(snapshot=True) as db:
        rows = await store._all(
            db, """SELECT c.number, c.question, c.category, c.language, m.at AS marked_at, m.actor AS operator_id,
                          COALESCE(NULLIF(c.faq_draft, ''),
                                   (SELECT r.text FROM case_messages r
                                    WHERE r.case_number = c.number AND r.author = 'operator' AND r.text <> ''
                                    ORDER BY r.id DESC LIMIT 1)) AS draft
                   FROM (SELECT MAX(id) AS id FROM case_events
                         WHERE kind = 'marked_for_faq' AND at >= ? AND at < ? GROUP BY case_number) latest
                   JOIN case_events m ON m.id = latest.id
                   JOIN cases c ON c.number = m.case_number
                   WHERE c.add_to_faq = 1 AND c.question <> ''
                   ORDER BY m.at, c.number""", (since, until))
    return [FaqSuggestion(r["number"], r["question"], r["category"], r["language"], r["marked_at"],
                          r["operator_id"], r["draft"] or None) for r in rows]
