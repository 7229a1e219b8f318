"""The report's charts, one function per PNG: what it shows, its titles, labels and colours.

Each takes the file to write, the report's figures and its labels; `frontdesk.charts` does the drawing.
"""

from __future__ import annotations

from pathlib import Path

from frontdesk import charts
from frontdesk.charts import Series
from frontdesk.report_figures import TOP, Figures
from frontdesk.report_labels import FOLLOW_UP, OUTCOMES, PRIORITY_NAMES, REASONS, Labels, minutes


def volume(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the messages per hour (one day) or per day (longer), stacked by outcome with the follow-ups."""
    v = figures.volume
    series = [Series(labels.chart(zh, en), v.by_outcome[key], colour) for key, zh, en, colour in OUTCOMES]
    series.append(Series(labels.chart(FOLLOW_UP[0], FOLLOW_UP[1]), v.follow_ups, FOLLOW_UP[2]))
    unit = ("每小时", "per hour", "hour of the day (local time)") if v.hourly else ("每天", "per day", "day")
    return charts.columns(path, labels.chart(f"{unit[0]}消息量", f"Messages {unit[1]}"), v.buckets, series,
                          cjk=labels.cjk, ylabel=labels.chart("条", "messages"), xlabel=unit[2])


def hours(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the average messages per hour of the day over a period of several days."""
    return charts.columns(path, labels.chart("平均每小时消息量", "Average messages per hour of day"),
                          [f"{h:02d}" for h in range(24)],
                          [Series(labels.chart("平均", "average"), figures.volume.hours, "#546e7a")],
                          cjk=labels.cjk, xlabel="hour of the day (local time)", totals=False)


def outcomes(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the share of questions answered, given suggestions, handed off, or small talk."""
    decisions, total = figures.decisions, figures.total
    return charts.bars(path, labels.chart("提问的处理结果", "What happened to the questions"),
                       [labels.chart(zh, en) for _, zh, en, _ in OUTCOMES],
                       [Series("", [100 * decisions[k] / total for k, *_ in OUTCOMES],
                               [colour for *_, colour in OUTCOMES])],
                       cjk=labels.cjk, notes=[f"{decisions[k]:,} of {total:,}" for k, *_ in OUTCOMES],
                       xlabel="% of questions", percent=True)


def handoffs(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the cases handed to the duty team by reason and by category, side by side."""
    reasons = figures.by_reason.most_common()
    categories = figures.by_category.most_common(TOP)
    return charts.panels(path, labels.chart("转人工工单", "Cases handed to the duty team"), [
        (labels.chart("原因", "by reason"), [labels.chart(*REASONS.get(r, (r, r))) for r, _ in reasons],
         [n for _, n in reasons], "#c62828"),
        (labels.chart("类别", "by category"), [labels.category_chart(k) for k, _ in categories],
         [n for _, n in categories], "#6a1b9a"),
    ], cjk=labels.cjk)


def claims(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw, per priority, the cases claimed in time, claimed late, overdue, and waiting or withdrawn."""
    shown = figures.opened_claims
    return charts.bars(path, labels.chart("认领是否及时", "Claimed within the time limit?"),
                       [labels.chart(*PRIORITY_NAMES.get(f.priority, (f.priority, f.priority)))
                        + f" (≤ {minutes(f.limit)})" for f in shown],
                       [Series(labels.chart("按时认领", "claimed in time"), [f.within for f in shown], "#2e7d32"),
                        Series(labels.chart("超时认领", "claimed late"), [f.late for f in shown], "#ef6c00"),
                        Series(labels.chart("超时未认领", "not claimed, overdue"), [f.waiting_late for f in shown],
                               "#c62828"),
                        Series(labels.chart("等待中/已撤销", "waiting or withdrawn"),
                               [f.waiting + f.withdrawn for f in shown], "#bdbdbd")],
                       cjk=labels.cjk, stacked=True, xlabel="cases")


def departments(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the cases forwarded to each department."""
    by_department = figures.by_department
    return charts.bars(path, labels.chart("转办部门", "Forwarded to departments"),
                       [labels.department(k, chart=True) for k, _ in by_department],
                       [Series("", [n for _, n in by_department], "#00838f")], cjk=labels.cjk, xlabel="cases")


def top_entries(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the most asked FAQ entries."""
    top = figures.top_entries
    return charts.bars(path, labels.chart("最常问的条目", "Most asked FAQ entries"),
                       [labels.entry_chart(k) for k, _ in top], [Series("", [n for _, n in top], "#2e7d32")],
                       cjk=labels.cjk, xlabel="times answered or suggested")


def not_helpful(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the entries whose answers citizens most often judged not helpful."""
    rated = figures.rated
    return charts.bars(path, labels.chart("答复被评为“没有帮助”", "Answers judged not helpful"),
                       [labels.entry_chart(k) for k, _, _ in rated],
                       [Series("", [100 * no / n for _, no, n in rated], "#ef6c00")],
                       cjk=labels.cjk, notes=[f"{no} of {n}" for _, no, n in rated], xlabel="% of verdicts",
                       percent=True)


def rising(path: Path, figures: Figures, labels: Labels) -> Path:
    """Draw the rising topics: this period's questions against those expected from the previous 7 days."""
    shown = figures.rising[:TOP]
    names = [f"[{labels.category_chart(r.key)}]" if r.kind == "category" else labels.entry_chart(r.key)
             for r in shown]
    return charts.bars(path, labels.chart("上升话题", "Rising topics"), names,
                       [Series(labels.chart("按前7天比例预期", "expected from the previous 7 days"),
                               [r.expected for r in shown], "#b0bec5"),
                        Series(labels.chart("本期", "this period"), [r.count for r in shown], "#c62828")],
                       cjk=labels.cjk, xlabel="questions")
