"""The duty team's report: a Markdown file and PNG charts over a day, a week or a month, from the case store.

Written for a supervisor who never saw the bot: headings in Chinese and English, every figure explained in
one line, citizen texts masked. Charts carry Chinese labels only when a CJK font is installed.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.cases import PRIORITIES
from frontdesk.faq import Faq
from frontdesk.progress import Progress
from frontdesk.safetext import for_markdown
from frontdesk.settings import MatchingSettings, Settings
from frontdesk.store import reports as queries

TOP = 10                # entries shown in the "most asked" and "not helpful" sections
MIN_FEEDBACK = 5        # verdicts an entry needs before its "not helpful" rate is shown
RISING_FACTOR = 2.0     # a topic is rising when asked at least this many times its previous 7-day rate ...
RISING_MIN = 10         # ... and at least this often in the period
GAPS_SHOWN = 5
URGENT_LISTED = 30

OUTCOMES = (  # decision -> (group key, zh, en, colour); anything else is small talk
    ("answer", "机器人答复", "answered by the bot", "#2e7d32"),
    ("suggest", "给出建议", "offered suggestions", "#f9a825"),
    ("handoff", "转人工", "handed to a person", "#c62828"),
    ("other", "寒暄等", "greetings and thanks", "#9e9e9e"),
)
FOLLOW_UP = ("工单内追问", "messages in open cases", "#1565c0")
REASONS = {
    "unmatched": ("未匹配", "no FAQ match"),
    "urgent": ("紧急", "urgent"),
    "requested": ("要求人工", "asked for a person"),
    "complaint": ("投诉", "complaint"),
    "not_helpful": ("答复无帮助", "answer not helpful"),
}
PRIORITY_NAMES = {"urgent": ("紧急", "urgent"), "high": ("较急", "high"), "normal": ("普通", "normal")}


def hotline_timezone(settings: Settings | None = None) -> dt.tzinfo:
    """Return the hotline's time zone (settings.timezone, else the default Asia/Shanghai)."""
    return (settings or Settings()).tzinfo()


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
    from frontdesk.gaps import find_gaps

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


# -- labels ---------------------------------------------------------------------------------------------


class Labels:
    """Bilingual labels: both languages in Markdown; in charts Chinese only when a CJK font is present."""

    def __init__(self, faq: Faq, settings: Settings, cjk: bool):
        self.faq = faq
        self.settings = settings
        self.cjk = cjk
        self._english_categories = _english_categories(faq)

    def md(self, zh: str, en: str) -> str:
        """Return the Markdown form of a bilingual label."""
        return f"{zh} {en}"

    def chart(self, zh: str, en: str) -> str:
        """Return the chart form of a bilingual label."""
        return f"{zh} {en}" if self.cjk else en

    def entry_title(self, entry_id: str) -> str:
        """Return an entry's first Chinese question (its first question when it has no Chinese one)."""
        entry = self.faq.get(entry_id)
        if entry is None:
            return ""
        return next((q for q in entry.questions if _has_cjk(q)), entry.questions[0])

    def entry_chart(self, entry_id: str) -> str:
        """Return an entry as a chart label: its Chinese question when the font allows, else its id."""
        title = self.entry_title(entry_id)
        if self.cjk and title:
            return _short(title, 18)
        return entry_id

    def entry_md(self, entry_id: str) -> str:
        """Return an entry as a Markdown table cell: id and first question."""
        title = self.entry_title(entry_id)
        suffix = " (no longer in the FAQ)" if self.faq.get(entry_id) is None else ""
        return f"`{entry_id}` {title}{suffix}".strip()

    def category_chart(self, category: str | None) -> str:
        """Return a category for a chart: as written, or an English stand-in made from its entries' ids."""
        if category is None:
            return self.chart("未分类", "uncategorised")
        if self.cjk or not _has_cjk(category):
            return category
        return self._english_categories.get(category, "other")

    def category_md(self, category: str | None) -> str:
        """Return a category for Markdown."""
        return category if category is not None else "未分类 uncategorised"

    def department(self, key: str, chart: bool = False) -> str:
        """Return a department's name from settings ("中文 / English"), or its key."""
        name = self.settings.departments.get(key, key)
        parts = [p.strip() for p in name.split(" / ")]
        if len(parts) == 2:
            return self.chart(*parts) if chart else f"{parts[0]} {parts[1]}"
        return name if (not chart or self.cjk or not _has_cjk(name)) else key


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _english_categories(faq: Faq) -> dict[str, str]:
    """Name each Chinese category after the common beginning of its entries' ids (健康码 -> health-code)."""
    ids: dict[str, list[str]] = {}
    for entry in faq.entries:
        if entry.category:
            ids.setdefault(entry.category, []).append(entry.id)
    names = {}
    for category, members in ids.items():
        parts = [m.split("-") for m in members]
        common = []
        for words in zip(*parts, strict=False):
            if len(set(words)) != 1:
                break
            common.append(words[0])
        if len(members) == 1 or not common:
            common = parts[0][:2] if len(members) == 1 else [Counter(p[0] for p in parts).most_common(1)[0][0]]
        names[category] = "-".join(common)
    return names


# -- figures ------------------------------------------------------------------------------------------


def _outcome(decision: str) -> str:
    return decision if decision in ("answer", "suggest", "handoff") else "other"


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _minutes(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{round(seconds / 60, 1):g} min"
    return f"{round(seconds / 3600, 1):g} h"


def _p90(values: list[float]) -> float:
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


# -- the report ---------------------------------------------------------------------------------------


class _Writer:
    """Collects Markdown lines and draws the charts next to them."""

    def __init__(self, out_dir: Path, labels: Labels, progress: Progress):
        self.out_dir = out_dir
        self.labels = labels
        self.lines: list[str] = []
        self.charts: list[Path] = []
        self.progress = progress

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: tuple[str, ...], rows: list[tuple]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|")
        self.add(*("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows), "")

    def chart(self, name: str, draw, *args, **kwargs) -> None:
        self.progress.step(f"drawing {name}")
        path = draw(self.out_dir / name, *args, cjk=self.labels.cjk, **kwargs)
        self.charts.append(path)
        self.add(f"![{name}]({name})", "")


def write_report(data: ReportData, faq: Faq, settings: Settings, out_dir: str | Path,
                 cjk: bool | None = None) -> Path:
    """Write report.md and its PNG charts into out_dir/<period>/ and return the Markdown file's path."""
    from frontdesk import charts
    from frontdesk.gaps import KIND_NAMES

    period = data.period
    if cjk is None:
        cjk = charts.cjk_font() is not None
    labels = Labels(faq, settings, cjk)
    folder = Path(out_dir) / period.label
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()  # a rerun must not leave a chart the new report no longer links
    progress = Progress("report")
    w = _Writer(folder, labels, progress)
    c = charts.Series
    md = labels.md

    decisions = Counter(_outcome(q.decision) for q in data.questions)
    total = len(data.questions)
    answered = Counter(q.entry_id for q in data.questions if q.decision in queries.ANSWERED and q.entry_id)
    verdicts: dict[str, list[bool]] = {}
    for q in data.questions:
        if q.decision == "answer" and q.entry_id and q.helpful is not None:
            verdicts.setdefault(q.entry_id, []).append(q.helpful)
    claims = claim_figures(data.cases, settings.queue.claim_limits, data.now)
    urgent = next(f for f in claims if f.priority == "urgent")
    rising = rising_topics(dict(answered), data.baseline, period.days, faq)
    judged = sum(len(v) for v in verdicts.values())
    unhelpful = sum(not h for v in verdicts.values() for h in v)

    # -- title and summary
    span = period.first.isoformat() if period.days == 1 else f"{period.first.isoformat()} – {period.last.isoformat()}"
    kind = md("热线日报", "Daily hotline report") if period.days == 1 else md("热线报告", "Hotline report")
    weekday = f" ({period.first.strftime('%A')})" if period.days == 1 else f" ({period.days} days)"
    generated = dt.datetime.fromtimestamp(data.now, period.tz).strftime("%Y-%m-%d %H:%M")
    w.add(f"# {kind}: {span}{weekday}", "",
          f"Period: {span}, whole days in {period.tz}. Generated {generated} from `{Path(data.source).name}` "
          "by `python bot.py report`. Citizens' phone and ID-card numbers are masked.", "")
    handed = decisions["handoff"]
    per_day = data.baseline_questions / 7
    volume = ""
    if per_day:
        usual = per_day * period.days
        volume = f" ({'+' if total >= usual else ''}{_pct(total - usual, usual)} against the previous 7 days' " \
                 f"{per_day:,.0f} a day)"
    bullets = [f"- Citizens asked **{total:,}** questions{volume}; the bot answered **{decisions['answer']:,}** "
               f"({_pct(decisions['answer'], total)}) itself, offered suggestions for {decisions['suggest']:,} "
               f"({_pct(decisions['suggest'], total)}) and handed **{handed:,}** ({_pct(handed, total)}) "
               "to a person."]
    bullets.append(f"- {len(data.cases):,} cases were opened for the duty team; {urgent.opened} urgent, of which "
                   f"{urgent.within} claimed within the {_minutes(urgent.limit)} limit"
                   + (f", **{urgent.late + urgent.waiting_late} late**." if urgent.late + urgent.waiting_late
                      else "."))
    if data.forwards:
        bullets.append(f"- {len(data.forwards)} case(s) forwarded to departments (转办).")
    if judged:
        bullets.append(f"- Citizens judged {judged:,} answers: {unhelpful:,} ({_pct(unhelpful, judged)}) "
                       "not helpful.")
    if rising:
        top = ", ".join(f"{r.key if r.kind == 'category' else labels.entry_title(r.key)} ({r.change})"
                        for r in rising[:3])
        bullets.append(f"- **Rising against the previous 7 days:** {top}.")
    w.add(f"## {md('要点', 'At a glance')}", "", *bullets, "")
    w.table((md("指标", "Figure"), md("数量", "Count"), md("占比", "Share")), [
        (md("市民提问", "Citizen questions"), f"{total:,}", ""),
        *((md(zh, en.capitalize()), f"{decisions[key]:,}", _pct(decisions[key], total))
          for key, zh, en, _ in OUTCOMES),
        (md(FOLLOW_UP[0], FOLLOW_UP[1].capitalize()), f"{len(data.follow_ups):,}", ""),
        (md("新建工单", "Cases opened"), f"{len(data.cases):,}", ""),
        (md("转办部门", "Forwarded to departments"), f"{len(data.forwards):,}", ""),
    ])

    # -- 1. volume
    w.add(f"## 1. {md('每小时消息量', 'Messages per hour')}", "")
    if period.days == 1:
        buckets = [f"{h:02d}" for h in range(24)]
        slot = lambda at: period.local(at).hour  # noqa: E731
    else:
        days = [period.first + dt.timedelta(days=i) for i in range(period.days)]
        buckets = [d.strftime("%m-%d") for d in days]
        slot = lambda at: (period.local(at).date() - period.first).days  # noqa: E731
    series = []
    for key, zh, en, colour in OUTCOMES:
        values = [0] * len(buckets)
        for q in data.questions:
            if _outcome(q.decision) == key:
                values[slot(q.at)] += 1
        series.append(c(labels.chart(zh, en), values, colour))
    values = [0] * len(buckets)
    for at in data.follow_ups:
        values[slot(at)] += 1
    series.append(c(labels.chart(FOLLOW_UP[0], FOLLOW_UP[1]), values, FOLLOW_UP[2]))
    per_slot = [sum(s.values[i] for s in series) for i in range(len(buckets))]
    if sum(per_slot):
        unit = ("每小时", "per hour", "hour of the day (local time)") if period.days == 1 else \
            ("每天", "per day", "day")
        w.chart("volume.png", charts.columns, labels.chart(f"{unit[0]}消息量", f"Messages {unit[1]}"), buckets,
                series, ylabel=labels.chart("条", "messages"), xlabel=unit[2])
        peak = max(range(len(buckets)), key=per_slot.__getitem__)
        when = f"{buckets[peak]}:00–{int(buckets[peak]) + 1:02d}:00" if period.days == 1 else buckets[peak]
        w.add(f"Busiest {'hour' if period.days == 1 else 'day'}: **{when}** with {per_slot[peak]:,} messages. "
              "A message is a citizen's question to the bot or a citizen's message inside an open case.", "")
        if period.days > 1:
            hours = [0.0] * 24
            for q in data.questions:
                hours[period.local(q.at).hour] += 1 / period.days
            for at in data.follow_ups:
                hours[period.local(at).hour] += 1 / period.days
            w.chart("hours.png", charts.columns, labels.chart("平均每小时消息量", "Average messages per hour of day"),
                    [f"{h:02d}" for h in range(24)], [c(labels.chart("平均", "average"), hours, "#546e7a")],
                    xlabel="hour of the day (local time)", totals=False)
    else:
        w.add("No messages in this period.", "")

    # -- 2. outcomes
    w.add(f"## 2. {md('机器人答复与转人工', 'Answered by the bot vs handed off')}", "")
    if total:
        keys = list(OUTCOMES)
        w.chart("outcomes.png", charts.bars, labels.chart("提问的处理结果", "What happened to the questions"),
                [labels.chart(zh, en) for _, zh, en, _ in keys],
                [c("", [100 * decisions[k] / total for k, *_ in keys], [colour for *_, colour in keys])],
                notes=[f"{decisions[k]:,} of {total:,}" for k, *_ in keys], xlabel="% of questions", percent=True)
        w.add("*Answered*: the bot sent an FAQ answer. *Suggestions*: it offered up to "
              f"{settings.matching.max_suggestions} likely entries to choose from. *Handed to a person*: it opened "
              "a case for the duty team (no match, urgent, complaint, or the citizen asked).", "")
    else:
        w.add("No questions in this period.", "")

    # -- 3. handoffs
    w.add(f"## 3. {md('转人工原因与类别', 'Handoffs by reason and category')}", "")
    by_reason = Counter(case.reason for case in data.cases)
    by_category = Counter(case.category for case in data.cases)
    if data.cases:
        reasons = by_reason.most_common()
        categories = by_category.most_common(TOP)
        w.chart("handoffs.png", charts.panels, labels.chart("转人工工单", "Cases handed to the duty team"), [
            (labels.chart("原因", "by reason"), [labels.chart(*REASONS.get(r, (r, r))) for r, _ in reasons],
             [n for _, n in reasons], "#c62828"),
            (labels.chart("类别", "by category"), [labels.category_chart(k) for k, _ in categories],
             [n for _, n in categories], "#6a1b9a"),
        ])
        w.table((md("原因", "Reason"), md("工单", "Cases"), md("占比", "Share")),
                [(md(*REASONS.get(r, (r, r))), n, _pct(n, len(data.cases))) for r, n in reasons])
        w.table((md("类别", "Category"), md("工单", "Cases"), md("占比", "Share")),
                [(labels.category_md(k), n, _pct(n, len(data.cases))) for k, n in by_category.most_common()])
        w.add("The category is the one of the closest FAQ entry, or of the urgent / complaint rule that fired.", "")
    else:
        w.add("No cases were opened in this period.", "")

    # -- 4. urgent cases and time to claim
    w.add(f"## 4. {md('紧急工单与认领时间', 'Urgent cases and time to claim')}", "")
    if data.cases:
        shown = [f for f in claims if f.opened]
        w.chart("claims.png", charts.bars, labels.chart("认领是否及时", "Claimed within the time limit?"),
                [labels.chart(*PRIORITY_NAMES.get(f.priority, (f.priority, f.priority)))
                 + f" (≤ {_minutes(f.limit)})" for f in shown],
                [c(labels.chart("按时认领", "claimed in time"), [f.within for f in shown], "#2e7d32"),
                 c(labels.chart("超时认领", "claimed late"), [f.late for f in shown], "#ef6c00"),
                 c(labels.chart("超时未认领", "not claimed, overdue"), [f.waiting_late for f in shown], "#c62828"),
                 c(labels.chart("等待中/已撤销", "waiting or withdrawn"),
                   [f.waiting + f.withdrawn for f in shown], "#bdbdbd")],
                stacked=True, xlabel="cases")
        w.table((md("优先级", "Priority"), md("时限", "Limit"), md("工单", "Cases"), md("按时", "In time"),
                 md("超时", "Late"), md("中位", "Median"), md("90%", "90th pct"), md("最长", "Longest"),
                 md("未认领", "Not claimed")),
                [(md(*PRIORITY_NAMES.get(f.priority, (f.priority, f.priority))), _minutes(f.limit), f.opened,
                  f"{f.within} ({_pct(f.within, f.opened)})", f.late,
                  _minutes(statistics.median(f.waits)) if f.waits else "–",
                  _minutes(_p90(f.waits)) if f.waits else "–", _minutes(max(f.waits)) if f.waits else "–",
                  f"{f.waiting_late + f.waiting} waiting ({f.waiting_late} overdue), {f.withdrawn} withdrawn")
                 for f in shown])
        w.add("Time to claim runs from the case's opening to the first time an operator took it. The limits are "
              "`queue.claim_limits` in settings.yaml.", "")
        urgent_cases = [case for case in data.cases if case.priority == "urgent"]
        if urgent_cases:
            rows = []
            for case in urgent_cases[:URGENT_LISTED]:
                wait = None if case.first_claimed_at is None else case.first_claimed_at - case.created_at
                verdict = ("in time" if wait <= urgent.limit else "**late**") if wait is not None else \
                    ("**not claimed**" if case.status == "open" else case.status)
                rows.append((f"#{case.number}", period.local(case.created_at).strftime("%m-%d %H:%M"),
                             _minutes(wait) if wait is not None else "–", verdict,
                             labels.category_md(case.category), "yes" if case.escalated_at else ""))
            w.add(f"### {md('紧急工单', 'Urgent cases')}", "")
            w.table(("Case", "Opened", "Claimed after", "Verdict", "Category", "Escalated"), rows)
            if len(urgent_cases) > URGENT_LISTED:
                w.add(f"... and {len(urgent_cases) - URGENT_LISTED} more.", "")
    else:
        w.add("No cases were opened in this period.", "")

    # -- 5. departments
    w.add(f"## 5. {md('转办部门', 'Cases forwarded to departments')}", "")
    by_department = Counter(f.department for f in data.forwards).most_common()
    if by_department:
        w.chart("departments.png", charts.bars, labels.chart("转办部门", "Forwarded to departments"),
                [labels.department(k, chart=True) for k, _ in by_department],
                [c("", [n for _, n in by_department], "#00838f")], xlabel="cases")
        w.table((md("部门", "Department"), md("工单", "Cases")),
                [(labels.department(k), n) for k, n in by_department])
    else:
        w.add("No case was forwarded in this period.", "")

    # -- 6. most asked entries
    w.add(f"## 6. {md('最常问的条目', 'Most asked FAQ entries')}", "")
    top = answered.most_common(TOP)
    if top:
        w.chart("top_entries.png", charts.bars, labels.chart("最常问的条目", "Most asked FAQ entries"),
                [labels.entry_chart(k) for k, _ in top], [c("", [n for _, n in top], "#2e7d32")],
                xlabel="times answered or suggested")
        w.table(("#", md("条目", "Entry"), md("次数", "Times"), md("占比", "Share of questions")),
                [(i, labels.entry_md(k), n, _pct(n, total)) for i, (k, n) in enumerate(top, 1)])
    else:
        w.add("No FAQ entry was answered in this period.", "")

    # -- 7. not helpful
    w.add(f"## 7. {md('“没有帮助”比例', '“Not helpful” rates per entry')}", "")
    rated = sorted(((k, v.count(False), len(v)) for k, v in verdicts.items() if len(v) >= MIN_FEEDBACK),
                   key=lambda r: (-r[1] / r[2], -r[2], r[0]))[:TOP]
    if rated:
        w.chart("not_helpful.png", charts.bars, labels.chart("答复被评为“没有帮助”", "Answers judged not helpful"),
                [labels.entry_chart(k) for k, _, _ in rated], [c("", [100 * no / n for _, no, n in rated], "#ef6c00")],
                notes=[f"{no} of {n}" for _, no, n in rated], xlabel="% of verdicts", percent=True)
        w.table((md("条目", "Entry"), md("没有帮助", "Not helpful"), md("评价数", "Verdicts"), md("比例", "Rate")),
                [(labels.entry_md(k), no, n, _pct(no, n)) for k, no, n in rated])
        w.add(f"After an answer the bot asks “did this help?”. Entries with at least {MIN_FEEDBACK} verdicts are "
              "shown; a high rate means the answer needs rewriting.", "")
    else:
        w.add(f"Not enough feedback: no entry has {MIN_FEEDBACK} or more verdicts in this period.", "")

    # -- 8. rising topics
    w.add(f"## 8. {md('上升话题', 'Topics rising against the previous 7 days')}", "")
    if rising:
        shown = rising[:TOP]
        names = [f"[{labels.category_chart(r.key)}]" if r.kind == "category" else labels.entry_chart(r.key)
                 for r in shown]
        w.chart("rising.png", charts.bars, labels.chart("上升话题", "Rising topics"), names,
                [c(labels.chart("按前7天比例预期", "expected from the previous 7 days"), [r.expected for r in shown],
                   "#b0bec5"),
                 c(labels.chart("本期", "this period"), [r.count for r in shown], "#c62828")],
                xlabel="questions")
        w.table((md("话题", "Topic"), md("类型", "Kind"), md("本期", "This period"), md("预期", "Expected"),
                 md("变化", "Change")),
                [(labels.category_md(r.key) if r.kind == "category" else labels.entry_md(r.key),
                  "category" if r.kind == "category" else "entry", r.count, f"{r.expected:.1f}", r.change)
                 for r in rising])
        w.add("*Expected* is the topic's share of the questions in the previous 7 days, applied to this period's "
              f"volume. A topic is listed when asked at least {RISING_MIN} times and at least {RISING_FACTOR:g}× "
              "its expected number, i.e. it grows much faster than the hotline as a whole: an early sign of public "
              "concern. Categories are in [brackets]; *new* means not asked at all in the previous 7 days.", "")
    else:
        w.add(f"No topic rose sharply (≥ {RISING_FACTOR:g}× its previous 7-day rate and ≥ {RISING_MIN} questions).",
              "")

    # -- 9. gaps
    w.add(f"## 9. {md('未能回答的问题', 'Questions the bot could not answer')}", "")
    groups = [g for g in data.gaps if g.case_number is None]
    if groups:
        rows = []
        for g in groups[:GAPS_SHOWN]:
            kinds = ", ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in g.kinds.most_common())
            closest = "none close" + (f" (best {g.closest[1]:.0f})" if g.closest else "")
            if g.closest and g.closest[1] >= settings.matching.suggest:
                closest = f"`{g.closest[0]}` ({g.closest[1]:.0f})"
            rows.append((for_markdown(g.title), g.count, kinds, closest))  # citizens' words stay inert text
        w.table((md("问题", "Question"), md("次数", "Times"), md("情况", "What happened"),
                 md("最接近的条目", "Closest entry (score)")), rows)
        w.add(f"{len(groups)} group(s) in all. Maintainers: `python bot.py faq gaps --since {period.first}` lists "
              "every group with a ready-to-edit FAQ entry.", "")
    else:
        w.add("None: every question was answered or handled as intended.", "")

    (folder / "report.md").write_text("\n".join(w.lines).rstrip() + "\n", encoding="utf-8")
    progress.done()
    return folder / "report.md"

