"""The report's Markdown: a title, the summary, then nine numbered sections, each with its chart and tables.

Written for a supervisor who never saw the bot: headings in Chinese and English, every figure explained in one
line, citizens' words as inert text. Each chart is drawn (by `report_charts`) where the text links it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from frontdesk import report_charts
from frontdesk.gaps import KIND_NAMES
from frontdesk.progress import Progress
from frontdesk.report_figures import MIN_FEEDBACK, RISING_FACTOR, RISING_MIN, Figures, p90
from frontdesk.report_labels import FOLLOW_UP, OUTCOMES, PRIORITY_NAMES, REASONS, Labels, minutes, pct
from frontdesk.safetext import for_markdown
from frontdesk.settings import Settings

if TYPE_CHECKING:
    from frontdesk.report import ReportData

GAPS_SHOWN = 5
URGENT_LISTED = 30


def compose(data: ReportData, figures: Figures, labels: Labels, settings: Settings, folder: Path,
            progress: Progress) -> str:
    """Return the text of report.md, drawing its charts into folder on the way."""
    page = _Page(data, figures, labels, settings, folder, progress)
    for section in (page.title, page.at_a_glance, page.volume, page.outcomes, page.handoffs, page.claims,
                    page.departments, page.top_entries, page.not_helpful, page.rising, page.gaps):
        section()
    return "\n".join(page.lines).rstrip() + "\n"


class _Page:
    """Collects the report's Markdown lines, section by section, and draws the charts next to them."""

    def __init__(self, data: ReportData, figures: Figures, labels: Labels, settings: Settings, folder: Path,
                 progress: Progress):
        self.data = data
        self.period = data.period
        self.figures = figures
        self.labels = labels
        self.md = labels.md
        self.settings = settings
        self.folder = folder
        self.progress = progress
        self.lines: list[str] = []

    def add(self, *lines: str) -> None:
        """Add lines of Markdown."""
        self.lines.extend(lines)

    def table(self, header: tuple[str, ...], rows: list[tuple]) -> None:
        """Add a table, escaping the pipes in its cells."""
        self.add("| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|")
        self.add(*("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows), "")

    def chart(self, name: str, draw: Callable[[Path, Figures, Labels], Path]) -> None:
        """Draw a chart into the report's folder and link it here."""
        self.progress.step(f"drawing {name}")
        draw(self.folder / name, self.figures, self.labels)
        self.add(f"![{name}]({name})", "")

    # -- the sections, in the order they appear

    def title(self) -> None:
        """Add the title and where the figures come from."""
        period, md = self.period, self.md
        span = period.first.isoformat() if period.days == 1 else \
            f"{period.first.isoformat()} – {period.last.isoformat()}"
        kind = md("热线日报", "Daily hotline report") if period.days == 1 else md("热线报告", "Hotline report")
        weekday = f" ({period.first.strftime('%A')})" if period.days == 1 else f" ({period.days} days)"
        generated = dt.datetime.fromtimestamp(self.data.now, period.tz).strftime("%Y-%m-%d %H:%M")
        self.add(f"# {kind}: {span}{weekday}", "",
                 f"Period: {span}, whole days in {period.tz}. Generated {generated} from "
                 f"`{Path(self.data.source).name}` by `python bot.py report`. Citizens' phone and ID-card numbers "
                 "are masked.", "")

    def at_a_glance(self) -> None:
        """Add the summary: the main figures in a few sentences and a table."""
        data, f, md = self.data, self.figures, self.md
        total, decisions, urgent = f.total, f.decisions, f.urgent
        handed = decisions["handoff"]
        per_day = data.baseline_questions / 7
        volume = ""
        if per_day:
            usual = per_day * self.period.days
            volume = f" ({'+' if total >= usual else ''}{pct(total - usual, usual)} against the previous 7 days' " \
                     f"{per_day:,.0f} a day)"
        bullets = [f"- Citizens asked **{total:,}** questions{volume}; the bot answered **{decisions['answer']:,}** "
                   f"({pct(decisions['answer'], total)}) itself, offered suggestions for {decisions['suggest']:,} "
                   f"({pct(decisions['suggest'], total)}) and handed **{handed:,}** ({pct(handed, total)}) "
                   "to a person."]
        bullets.append(f"- {len(data.cases):,} cases were opened for the duty team; {urgent.opened} urgent, of which "
                       f"{urgent.within} claimed within the {minutes(urgent.limit)} limit"
                       + (f", **{urgent.late + urgent.waiting_late} late**." if urgent.late + urgent.waiting_late
                          else "."))
        if data.forwards:
            bullets.append(f"- {len(data.forwards)} case(s) forwarded to departments (转办).")
        if f.judged:
            bullets.append(f"- Citizens judged {f.judged:,} answers: {f.unhelpful:,} ({pct(f.unhelpful, f.judged)}) "
                           "not helpful.")
        if f.rising:
            top = ", ".join(f"{r.key if r.kind == 'category' else self.labels.entry_title(r.key)} ({r.change})"
                            for r in f.rising[:3])
            bullets.append(f"- **Rising against the previous 7 days:** {top}.")
        self.add(f"## {md('要点', 'At a glance')}", "", *bullets, "")
        self.table((md("指标", "Figure"), md("数量", "Count"), md("占比", "Share")), [
            (md("市民提问", "Citizen questions"), f"{total:,}", ""),
            *((md(zh, en.capitalize()), f"{decisions[key]:,}", pct(decisions[key], total))
              for key, zh, en, _ in OUTCOMES),
            (md(FOLLOW_UP[0], FOLLOW_UP[1].capitalize()), f"{len(data.follow_ups):,}", ""),
            (md("新建工单", "Cases opened"), f"{len(data.cases):,}", ""),
            (md("转办部门", "Forwarded to departments"), f"{len(data.forwards):,}", ""),
        ])

    def volume(self) -> None:
        """Add section 1: messages per hour (or day), and the busiest one."""
        period, volume = self.period, self.figures.volume
        self.add(f"## 1. {self.md('每小时消息量', 'Messages per hour')}", "")
        per_slot = volume.per_slot
        if sum(per_slot):
            self.chart("volume.png", report_charts.volume)
            peak = max(range(len(volume.buckets)), key=per_slot.__getitem__)
            bucket = volume.buckets[peak]
            when = f"{bucket}:00–{int(bucket) + 1:02d}:00" if period.days == 1 else bucket
            self.add(f"Busiest {'hour' if period.days == 1 else 'day'}: **{when}** with {per_slot[peak]:,} messages. "
                     "A message is a citizen's question to the bot or a citizen's message inside an open case.", "")
            if period.days > 1:
                self.chart("hours.png", report_charts.hours)
        else:
            self.add("No messages in this period.", "")

    def outcomes(self) -> None:
        """Add section 2: questions answered by the bot, given suggestions, or handed off."""
        self.add(f"## 2. {self.md('机器人答复与转人工', 'Answered by the bot vs handed off')}", "")
        if self.figures.total:
            self.chart("outcomes.png", report_charts.outcomes)
            self.add("*Answered*: the bot sent an FAQ answer. *Suggestions*: it offered up to "
                     f"{self.settings.matching.max_suggestions} likely entries to choose from. *Handed to a person*: "
                     "it opened a case for the duty team (no match, urgent, complaint, or the citizen asked).", "")
        else:
            self.add("No questions in this period.", "")

    def handoffs(self) -> None:
        """Add section 3: cases by reason and by category."""
        cases, f, md = self.data.cases, self.figures, self.md
        self.add(f"## 3. {md('转人工原因与类别', 'Handoffs by reason and category')}", "")
        if cases:
            self.chart("handoffs.png", report_charts.handoffs)
            self.table((md("原因", "Reason"), md("工单", "Cases"), md("占比", "Share")),
                       [(md(*REASONS.get(r, (r, r))), n, pct(n, len(cases))) for r, n in f.by_reason.most_common()])
            self.table((md("类别", "Category"), md("工单", "Cases"), md("占比", "Share")),
                       [(self.labels.category_md(k), n, pct(n, len(cases))) for k, n in f.by_category.most_common()])
            self.add("The category is the one of the closest FAQ entry, or of the urgent / complaint rule that fired.",
                     "")
        else:
            self.add("No cases were opened in this period.", "")

    def claims(self) -> None:
        """Add section 4: time to claim against the limits, and the urgent cases one by one."""
        md = self.md
        self.add(f"## 4. {md('紧急工单与认领时间', 'Urgent cases and time to claim')}", "")
        if not self.data.cases:
            self.add("No cases were opened in this period.", "")
            return
        self.chart("claims.png", report_charts.claims)
        self.table((md("优先级", "Priority"), md("时限", "Limit"), md("工单", "Cases"), md("按时", "In time"),
                    md("超时", "Late"), md("中位", "Median"), md("90%", "90th pct"), md("最长", "Longest"),
                    md("未认领", "Not claimed")),
                   [(md(*PRIORITY_NAMES.get(f.priority, (f.priority, f.priority))), minutes(f.limit), f.opened,
                     f"{f.within} ({pct(f.within, f.opened)})", f.late,
                     minutes(statistics.median(f.waits)) if f.waits else "–",
                     minutes(p90(f.waits)) if f.waits else "–", minutes(max(f.waits)) if f.waits else "–",
                     f"{f.waiting_late + f.waiting} waiting ({f.waiting_late} overdue), {f.withdrawn} withdrawn")
                    for f in self.figures.opened_claims])
        self.add("Time to claim runs from the case's opening to the first time an operator took it. The limits are "
                 "`queue.claim_limits` in settings.yaml.", "")
        urgent_cases = [case for case in self.data.cases if case.priority == "urgent"]
        if urgent_cases:
            limit = self.figures.urgent.limit
            rows = []
            for case in urgent_cases[:URGENT_LISTED]:
                wait = None if case.first_claimed_at is None else case.first_claimed_at - case.created_at
                verdict = ("in time" if wait <= limit else "**late**") if wait is not None else \
                    ("**not claimed**" if case.status == "open" else case.status)
                rows.append((f"#{case.number}", self.period.local(case.created_at).strftime("%m-%d %H:%M"),
                             minutes(wait) if wait is not None else "–", verdict,
                             self.labels.category_md(case.category), "yes" if case.escalated_at else ""))
            self.add(f"### {md('紧急工单', 'Urgent cases')}", "")
            self.table(("Case", "Opened", "Claimed after", "Verdict", "Category", "Escalated"), rows)
            if len(urgent_cases) > URGENT_LISTED:
                self.add(f"... and {len(urgent_cases) - URGENT_LISTED} more.", "")

    def departments(self) -> None:
        """Add section 5: cases forwarded to departments."""
        md = self.md
        self.add(f"## 5. {md('转办部门', 'Cases forwarded to departments')}", "")
        by_department = self.figures.by_department
        if by_department:
            self.chart("departments.png", report_charts.departments)
            self.table((md("部门", "Department"), md("工单", "Cases")),
                       [(self.labels.department(k), n) for k, n in by_department])
        else:
            self.add("No case was forwarded in this period.", "")

    def top_entries(self) -> None:
        """Add section 6: the most asked FAQ entries."""
        md = self.md
        self.add(f"## 6. {md('最常问的条目', 'Most asked FAQ entries')}", "")
        top = self.figures.top_entries
        if top:
            self.chart("top_entries.png", report_charts.top_entries)
            self.table(("#", md("条目", "Entry"), md("次数", "Times"), md("占比", "Share of questions")),
                       [(i, self.labels.entry_md(k), n, pct(n, self.figures.total)) for i, (k, n) in enumerate(top, 1)])
        else:
            self.add("No FAQ entry was answered in this period.", "")

    def not_helpful(self) -> None:
        """Add section 7: the entries whose answers citizens judged not helpful."""
        md = self.md
        self.add(f"## 7. {md('“没有帮助”比例', '“Not helpful” rates per entry')}", "")
        rated = self.figures.rated
        if rated:
            self.chart("not_helpful.png", report_charts.not_helpful)
            self.table((md("条目", "Entry"), md("没有帮助", "Not helpful"), md("评价数", "Verdicts"),
                        md("比例", "Rate")),
                       [(self.labels.entry_md(k), no, n, pct(no, n)) for k, no, n in rated])
            self.add(f"After an answer the bot asks “did this help?”. Entries with at least {MIN_FEEDBACK} verdicts "
                     "are shown; a high rate means the answer needs rewriting.", "")
        else:
            self.add(f"Not enough feedback: no entry has {MIN_FEEDBACK} or more verdicts in this period.", "")

    def rising(self) -> None:
        """Add section 8: topics rising against the previous 7 days."""
        md, labels = self.md, self.labels
        self.add(f"## 8. {md('上升话题', 'Topics rising against the previous 7 days')}", "")
        rising = self.figures.rising
        if rising:
            self.chart("rising.png", report_charts.rising)
            self.table((md("话题", "Topic"), md("类型", "Kind"), md("本期", "This period"), md("预期", "Expected"),
                        md("变化", "Change")),
                       [(labels.category_md(r.key) if r.kind == "category" else labels.entry_md(r.key),
                         "category" if r.kind == "category" else "entry", r.count, f"{r.expected:.1f}", r.change)
                        for r in rising])
            self.add("*Expected* is the topic's share of the questions in the previous 7 days, applied to this "
                     f"period's volume. A topic is listed when asked at least {RISING_MIN} times and at least "
                     f"{RISING_FACTOR:g}× its expected number, i.e. it grows much faster than the hotline as a whole: "
                     "an early sign of public concern. Categories are in [brackets]; *new* means not asked at all in "
                     "the previous 7 days.", "")
        else:
            self.add(f"No topic rose sharply (≥ {RISING_FACTOR:g}× its previous 7-day rate and ≥ {RISING_MIN} "
                     "questions).", "")

    def gaps(self) -> None:
        """Add section 9: the groups of questions the bot could not answer."""
        md = self.md
        self.add(f"## 9. {md('未能回答的问题', 'Questions the bot could not answer')}", "")
        groups = [g for g in self.data.gaps if g.case_number is None]
        if groups:
            rows = []
            for g in groups[:GAPS_SHOWN]:
                kinds = ", ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in g.kinds.most_common())
                closest = "none close" + (f" (best {g.closest[1]:.0f})" if g.closest else "")
                if g.closest and g.closest[1] >= self.settings.matching.suggest:
                    closest = f"`{g.closest[0]}` ({g.closest[1]:.0f})"
                rows.append((for_markdown(g.title), g.count, kinds, closest))  # citizens' words stay inert text
            self.table((md("问题", "Question"), md("次数", "Times"), md("情况", "What happened"),
                        md("最接近的条目", "Closest entry (score)")), rows)
            self.add(f"{len(groups)} group(s) in all. Maintainers: `python bot.py faq gaps --since "
                     f"{self.period.first}` lists every group with a ready-to-edit FAQ entry.", "")
        else:
            self.add("None: every question was answered or handled as intended.", "")
