"""The numbers the report shows, worked out from the period's rows: outcomes, volume, time to claim, rising topics.

Pure arithmetic over `ReportData`: nothing here reads the store, draws or writes.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frontdesk.cases import PRIORITIES
from frontdesk.faq import Faq
from frontdesk.settings import Settings
from frontdesk.store import reports as queries

if TYPE_CHECKING:
    from frontdesk.report import ReportData

TOP = 10                # entries shown in the "most asked" and "not helpful" sections
MIN_FEEDBACK = 5        # verdicts an entry needs before its "not helpful" rate is shown
RISING_FACTOR = 2.0     # a topic is rising when asked at least this many times its previous 7-day rate ...
RISING_MIN = 10         # ... and at least this often in the period
OUTCOME_GROUPS = ("answer", "suggest", "handoff", "other")  # what became of a question; "other" is small talk


def outcome(decision: str) -> str:
    """Return the outcome group of a desk decision: answer, suggest, handoff, or other (small talk)."""
    return decision if decision in ("answer", "suggest", "handoff") else "other"


def p90(values: list[float]) -> float:
    """Return the 90th percentile of the values (the value itself when there is one, 0 when none)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


@dataclass
class ClaimFigures:
    """Time to claim for one priority against its limit."""

    priority: str
    limit: float
    opened: int = 0
    within: int = 0
    late: int = 0
    waiting_late: int = 0
    waiting: int = 0
    withdrawn: int = 0
    waits: list[float] = field(default_factory=list)


def claim_figures(cases: list[queries.CaseRow], limits: dict[str, float], now: float) -> list[ClaimFigures]:
    """Sort the period's cases by priority into claimed within / after the limit and not claimed."""
    figures = {p: ClaimFigures(p, float(limits.get(p, 7200.0))) for p in PRIORITIES}
    for case in cases:
        f = figures.setdefault(case.priority, ClaimFigures(case.priority, float(limits.get(case.priority, 7200.0))))
        f.opened += 1
        if case.first_claimed_at is not None:
            wait = max(case.first_claimed_at - case.created_at, 0.0)
            f.waits.append(wait)
            if wait <= f.limit:
                f.within += 1
            else:
                f.late += 1
        elif case.status == "open":
            if now - case.created_at > f.limit:
                f.waiting_late += 1
            else:
                f.waiting += 1
        else:
            f.withdrawn += 1
    return list(figures.values())


@dataclass(frozen=True)
class Rising:
    """A topic (entry or category) asked much more than in the previous 7 days."""

    key: str
    kind: str  # entry | category
    count: int
    expected: float  # the previous 7 days' daily average times the period's days

    @property
    def change(self) -> str:
        """Return the rise as text."""
        if self.expected < 0.5:
            return "new"
        return f"+{100 * (self.count - self.expected) / self.expected:.0f}%"


def rising_topics(current: dict[str, int], baseline: dict[str, int], days: int, faq: Faq) -> list[Rising]:
    """Return entries and categories asked >= RISING_FACTOR times their expected count, steepest first.

    The expected count is the topic's share of the previous 7 days applied to this period's volume, so a day
    that is busy all round does not make every topic "rise"; only topics growing faster than the rest do.
    """

    def by_category(counts: dict[str, int]) -> Counter:
        result: Counter = Counter()
        for entry_id, n in counts.items():
            entry = faq.get(entry_id)
            if entry is not None and entry.category:
                result[entry.category] += n
        return result

    before_total = sum(baseline.values())
    scale = sum(current.values()) / before_total if before_total else days / 7
    found = []
    for kind, now_counts, before_counts in (
        ("category", by_category(current), by_category(baseline)),
        ("entry", Counter(current), Counter(baseline)),
    ):
        for key, count in now_counts.items():
            expected = before_counts.get(key, 0) * scale
            if count >= RISING_MIN and count >= RISING_FACTOR * max(expected, 0.5):
                found.append(Rising(key, kind, count, expected))
    return sorted(found, key=lambda r: (-(r.count / max(r.expected, 0.5)), -r.count, r.key))


@dataclass
class Volume:
    """Messages per slot of the period (hours of a single day, else days), by outcome, plus follow-ups."""

    hourly: bool  # the slots are the hours of a single day, else the period's days
    buckets: list[str]  # the slots' names: 00..23, or days as 11-27
    by_outcome: dict[str, list[int]]  # outcome -> questions per slot
    follow_ups: list[int]  # citizens' messages inside open cases, per slot
    hours: list[float]  # average messages per hour of the day (shown for periods longer than a day)

    @property
    def per_slot(self) -> list[int]:
        """Return all messages per slot."""
        series = [*self.by_outcome.values(), self.follow_ups]
        return [sum(values[i] for values in series) for i in range(len(self.buckets))]


def volume(data: ReportData) -> Volume:
    """Count the period's questions and follow-ups per hour (a single day) or per day (longer)."""
    period = data.period
    if period.days == 1:
        buckets = [f"{h:02d}" for h in range(24)]
        slot = lambda at: period.local(at).hour  # noqa: E731
    else:
        days = [period.first + dt.timedelta(days=i) for i in range(period.days)]
        buckets = [d.strftime("%m-%d") for d in days]
        slot = lambda at: (period.local(at).date() - period.first).days  # noqa: E731
    by_outcome = {key: [0] * len(buckets) for key in OUTCOME_GROUPS}
    for q in data.questions:
        by_outcome[outcome(q.decision)][slot(q.at)] += 1
    follow_ups = [0] * len(buckets)
    for at in data.follow_ups:
        follow_ups[slot(at)] += 1
    hours = [0.0] * 24
    for q in data.questions:
        hours[period.local(q.at).hour] += 1 / period.days
    for at in data.follow_ups:
        hours[period.local(at).hour] += 1 / period.days
    return Volume(period.days == 1, buckets, by_outcome, follow_ups, hours)


@dataclass
class Figures:
    """Everything the report counts, worked out once for its text and its charts."""

    total: int  # citizen questions
    decisions: Counter  # outcome -> questions
    answered: Counter  # entry -> times answered or suggested
    verdicts: dict[str, list[bool]]  # entry -> citizens' "did this help?" verdicts on its answers
    claims: list[ClaimFigures]
    rising: list[Rising]
    volume: Volume
    by_reason: Counter  # handoff reason -> cases
    by_category: Counter  # category -> cases
    by_department: list[tuple[str, int]]  # department -> cases forwarded, most first

    @classmethod
    def of(cls, data: ReportData, faq: Faq, settings: Settings) -> Figures:
        """Work out the figures of a period's data."""
        answered = Counter(q.entry_id for q in data.questions if q.decision in queries.ANSWERED and q.entry_id)
        verdicts: dict[str, list[bool]] = {}
        for q in data.questions:
            if q.decision == "answer" and q.entry_id and q.helpful is not None:
                verdicts.setdefault(q.entry_id, []).append(q.helpful)
        return cls(
            total=len(data.questions),
            decisions=Counter(outcome(q.decision) for q in data.questions),
            answered=answered,
            verdicts=verdicts,
            claims=claim_figures(data.cases, settings.queue.claim_limits, data.now),
            rising=rising_topics(dict(answered), data.baseline, data.period.days, faq),
            volume=volume(data),
            by_reason=Counter(case.reason for case in data.cases),
            by_category=Counter(case.category for case in data.cases),
            by_department=Counter(f.department for f in data.forwards).most_common(),
        )

    @property
    def urgent(self) -> ClaimFigures:
        """Return the time-to-claim figures of urgent cases."""
        return next(f for f in self.claims if f.priority == "urgent")

    @property
    def opened_claims(self) -> list[ClaimFigures]:
        """Return the time-to-claim figures of the priorities that had cases."""
        return [f for f in self.claims if f.opened]

    @property
    def judged(self) -> int:
        """Return how many answers citizens judged."""
        return sum(len(v) for v in self.verdicts.values())

    @property
    def unhelpful(self) -> int:
        """Return how many answers citizens judged not helpful."""
        return sum(not h for v in self.verdicts.values() for h in v)

    @property
    def top_entries(self) -> list[tuple[str, int]]:
        """Return the TOP most answered or suggested entries with their counts."""
        return self.answered.most_common(TOP)

    @property
    def rated(self) -> list[tuple[str, int, int]]:
        """Return (entry, not helpful, verdicts) for entries with MIN_FEEDBACK verdicts, worst rate first (TOP)."""
        return sorted(((k, v.count(False), len(v)) for k, v in self.verdicts.items() if len(v) >= MIN_FEEDBACK),
                      key=lambda r: (-r[1] / r[2], -r[2], r[0]))[:TOP]
