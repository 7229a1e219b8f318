"""The duty team's report: a Markdown file and PNG charts over a day, a week or a month, from the case store.

Written for a supervisor who never saw the bot: headings in Chinese and English, every figure explained in
one line, citizen texts masked. Charts carry Chinese labels only when a CJK font is installed.

This module holds the period, reads its rows from the store (`gather`) and writes the report (`write_report`);
`report_figures` works out the numbers, `report_labels` names them, `report_markdown` writes the text and
`report_charts` the charts.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.charts import cjk_font
from frontdesk.faq import Faq
from frontdesk.gaps import find_gaps
from frontdesk.progress import Progress
from frontdesk.report_figures import Figures, rising_topics
from frontdesk.report_labels import Labels
from frontdesk.report_markdown import compose
from frontdesk.settings import MatchingSettings, Settings
from frontdesk.store import reports as queries

__all__ = ["Period", "ReportData", "gather", "period_for", "rising_topics", "write_report"]


def _midnight(day: dt.date, tz: dt.tzinfo) -> float:
    return dt.datetime.combine(day, dt.time(), tz).timestamp()


@dataclass(frozen=True)
class Period:
    """Whole local days, first to last inclusive."""

    first: dt.date
    last: dt.date
    tz: dt.tzinfo

    @property
    def days(self) -> int:
        """Return the number of days covered."""
        return (self.last - self.first).days + 1

    @property
    def since(self) -> float:
        """Return the start as epoch seconds."""
        return _midnight(self.first, self.tz)

    @property
    def until(self) -> float:
        """Return the end (exclusive) as epoch seconds."""
        return _midnight(self.last + dt.timedelta(days=1), self.tz)

    @property
    def label(self) -> str:
        """Return the period as a folder name: 2026-11-28, or 2026-11-22_2026-11-28."""
        if self.days == 1:
            return self.first.isoformat()
        return f"{self.first.isoformat()}_{self.last.isoformat()}"

    def local(self, at: float) -> dt.datetime:
        """Return an epoch time as local time."""
        return dt.datetime.fromtimestamp(at, self.tz)

    def previous_week(self) -> Period:
        """Return the 7 days before this period."""
        return Period(self.first - dt.timedelta(days=7), self.first - dt.timedelta(days=1), self.tz)


def period_for(day: dt.date | None, days: int, tz: dt.tzinfo, today: dt.date | None = None) -> Period:
    """Return the `days` days ending on `day` (default: yesterday, the last complete day)."""
    today = today or dt.datetime.now(tz).date()
    last = day or today - dt.timedelta(days=1)
    return Period(last - dt.timedelta(days=days - 1), last, tz)


@dataclass
class ReportData:
    """Everything the report shows, read from the store in one go."""

    period: Period
    questions: list[queries.QuestionRow]
    follow_ups: list[float]
    cases: list[queries.CaseRow]
    forwards: list[queries.Forward]
    baseline: dict[str, int]  # entry -> times answered or suggested in the 7 days before the period
    baseline_questions: int = 0  # all questions in those 7 days
    gaps: list = field(default_factory=list)
    now: float = field(default_factory=time.time)
    source: str = ""


async def gather(store, period: Period, faq: Faq, matcher, now: float | None = None,
                 matching: MatchingSettings | None = None) -> ReportData:
    """Read the period's figures (and the previous 7 days' for comparison) from the store."""
    progress = Progress("report")
    progress.step("reading questions")
    rows = await queries.questions(store, period.since, period.until)
    progress.step("reading cases")
    follow_ups = await queries.follow_ups(store, period.since, period.until)
    cases = await queries.cases_opened(store, period.since, period.until)
    forwards = await queries.forwards(store, period.since, period.until)
    before = period.previous_week()
    baseline = await queries.entry_counts(store, before.since, before.until)
    baseline_questions = await queries.question_count(store, before.since, before.until)
    progress.step("grouping unanswered questions")
    gaps = await find_gaps(store, matcher, faq, period.since, period.until, examples=3, matching=matching)
    progress.done()
    return ReportData(period, rows, follow_ups, cases, forwards, baseline, baseline_questions, gaps,
                      time.time() if now is None else now, getattr(store, "path", ""))


def write_report(data: ReportData, faq: Faq, settings: Settings, out_dir: str | Path,
                 cjk: bool | None = None) -> Path:
    """Write report.md and its PNG charts into out_dir/<period>/ and return the Markdown file's path."""
    if cjk is None:
        cjk = cjk_font() is not None
    labels = Labels(faq, settings, cjk)
    folder = Path(out_dir) / data.period.label
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()  # a rerun must not leave a chart the new report no longer links
    progress = Progress("report")
    text = compose(data, Figures.of(data, faq, settings), labels, settings, folder, progress)
    path = folder / "report.md"
    path.write_text(text, encoding="utf-8")
    progress.done()
    return path
