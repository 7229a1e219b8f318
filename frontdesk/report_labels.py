"""How the report names things: outcomes, reasons, priorities, entries, categories and departments, and durations.

Markdown carries both languages; a chart carries Chinese only when a CJK font is installed, so it never shows
missing-glyph boxes.
"""

from __future__ import annotations

from collections import Counter

from frontdesk.faq import Faq
from frontdesk.settings import Settings

OUTCOMES = (  # outcome group (see report_figures.outcome) -> zh, en, chart colour
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


def pct(part: float, whole: float) -> str:
    """Return part as a whole percentage of whole ("–" when whole is 0)."""
    return f"{100 * part / whole:.0f}%" if whole else "–"


def minutes(seconds: float) -> str:
    """Return a duration in seconds, minutes or hours, whichever reads best."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{round(seconds / 60, 1):g} min"
    return f"{round(seconds / 3600, 1):g} h"
