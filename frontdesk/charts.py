"""PNG charts for the report (matplotlib, Agg backend): a few plain chart shapes with readable defaults.

Chinese labels need a CJK font. `cjk_font()` finds one (matplotlib's list, then fontconfig's); when there is
none, the report passes English labels only, so no chart ever shows missing-glyph boxes.
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
    "Sarasa Gothic SC", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "AR PL UMing CN",
    "Droid Sans Fallback",
)
WIDTH = 9.0  # inches; at DPI this is 1080 px, comfortable on a laptop screen and in a printed page
DPI = 120
INK = "#263238"
GRID = "#e0e0e0"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """One coloured set of values across the chart's categories."""

    label: str
    values: Sequence[float]
    color: str | Sequence[str]  # one colour, or one per bar


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@functools.cache
def cjk_font() -> str | None:
    """Return the family name of an installed font with Chinese glyphs, or None."""
    _pyplot()
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    if shutil.which("fc-list") is None:
        return None
    try:  # fonts installed after matplotlib built its font cache are known to fontconfig only
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    for line in sorted(listing.stdout.splitlines()):
        path = line.split(":")[0].strip()
        if not path:
            continue
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
        except Exception:  # an unreadable font file: try the next one
            log.debug("cannot use font %s", path, exc_info=True)
    return None


def _style(plt, cjk: bool) -> None:
    family = [cjk_font()] if cjk and cjk_font() else []
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # "no bold face, using regular" notices
    plt.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [*family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "axes.titleweight": "bold",
        "axes.titlesize": 13,
        "axes.titlelocation": "left",
        "xtick.color": INK,
        "ytick.color": INK,
        "font.size": 10,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "savefig.bbox": "tight",
        "savefig.facecolor": "white",
    })


def _frame(ax, axis: str) -> None:
    from matplotlib.ticker import MaxNLocator

    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    ax.grid(axis=axis, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def _save(fig, plt, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _legend(ax, title: str, entries: int) -> None:
    """Put the legend between the title and the plot (one row, or two when long), where it never covers a bar."""
    width = sum(len(label) for label in ax.get_legend_handles_labels()[1])
    per_row = entries if width <= 90 else -(-entries // 2)
    ax.set_title(title, pad=26 if per_row == entries else 42)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=per_row, frameon=False, fontsize=9,
              borderaxespad=0.2, handlelength=1.2, columnspacing=1.4)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.1f}"


def columns(path: Path, title: str, labels: Sequence[str], series: Sequence[Series], *, ylabel: str = "",
            xlabel: str = "", cjk: bool = False, totals: bool = True) -> Path:
    """Draw stacked vertical bars (one per label, e.g. hours), with each column's total above it."""
    plt = _pyplot()
    _style(plt, cjk)
    fig, ax = plt.subplots(figsize=(WIDTH, 4.2))
    bottom = [0.0] * len(labels)
    for s in series:
        ax.bar(range(len(labels)), s.values, bottom=bottom, color=s.color, label=s.label, width=0.8)
        bottom = [b + v for b, v in zip(bottom, s.values, strict=True)]
    crowded = sum(len(label) for label in labels) > 90
    ax.set_xticks(range(len(labels)), labels, rotation=45 if crowded else 0, ha="right" if crowded else "center")
    if totals and bottom and max(bottom) > 0:
        for x, total in enumerate(bottom):
            if total:
                ax.text(x, total, _number(total), ha="center", va="bottom", fontsize=7, color=INK)
        ax.set_ylim(0, max(bottom) * 1.12)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    _frame(ax, "y")
    if len(series) > 1:
        _legend(ax, title, len(series))
    return _save(fig, plt, path)


def bars(path: Path, title: str, labels: Sequence[str], series: Sequence[Series], *, xlabel: str = "",
         cjk: bool = False, stacked: bool = False, notes: Sequence[str] | None = None,
         marker: float | None = None, marker_label: str = "", percent: bool = False) -> Path:
    """Draw horizontal bars, first label on top: one series, several side by side, or stacked."""
    plt = _pyplot()
    _style(plt, cjk)
    rows = len(labels)
    height = 1.1 + 0.42 * max(rows, 1) * (1 if stacked or len(series) == 1 else 0.6 * len(series) + 0.4)
    fig, ax = plt.subplots(figsize=(WIDTH, min(max(height, 2.2), 9.0)))
    positions = list(range(rows))[::-1]
    thickness = 0.7 if stacked or len(series) == 1 else 0.8 / len(series)
    left = [0.0] * rows
    ends = [0.0] * rows
    notes = list(notes) if notes else [""] * rows
    for k, s in enumerate(series):
        if stacked:
            ax.barh(positions, s.values, left=left, height=thickness, color=s.color, label=s.label)
            left = [a + b for a, b in zip(left, s.values, strict=True)]
            ends = left
        else:
            offset = (k - (len(series) - 1) / 2) * thickness
            ys = [p - offset for p in positions]
            ax.barh(ys, s.values, height=thickness, color=s.color, label=s.label)
            last = k == len(series) - 1
            for y, v, note in zip(ys, s.values, notes, strict=True):
                text = f"{v:.0f}%" if percent else _number(v)
                if last and note:
                    text += f"   {note}"
                ax.text(v, y, " " + text, va="center", fontsize=8, color=INK)
            ends = [max(e, v) for e, v in zip(ends, s.values, strict=True)]
    if stacked:
        for y, total, note in zip(positions, ends, notes, strict=True):
            ax.text(total, y, " " + _number(total) + (f"   {note}" if note else ""), va="center", fontsize=8,
                    color=INK)
    if marker is not None:
        ax.axvline(marker, color="#c62828", linestyle="--", linewidth=1.2, label=marker_label or None)
    ax.set_yticks(positions, labels)
    top = max([*ends, marker or 0, 1])
    ax.set_xlim(0, top * (1.35 if any(notes) else 1.15))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    _frame(ax, "x")
    if len(series) > 1 or marker_label:
        _legend(ax, title, len(series) + bool(marker_label))
    return _save(fig, plt, path)


def panels(path: Path, title: str, parts: Sequence[tuple[str, Sequence[str], Sequence[float], str]], *,
           cjk: bool = False) -> Path:
    """Draw several small horizontal bar charts side by side: (subtitle, labels, values, color) each."""
    plt = _pyplot()
    _style(plt, cjk)
    rows = max((len(labels) for _, labels, _, _ in parts), default=1)
    fig, axes = plt.subplots(1, len(parts), figsize=(WIDTH + 1.5, 1.4 + 0.42 * max(rows, 2)), squeeze=False)
    for ax, (subtitle, labels, values, color) in zip(axes[0], parts, strict=True):
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values, color=color, height=0.65)
        for y, v in zip(positions, values, strict=True):
            ax.text(v, y, " " + _number(v), va="center", fontsize=8, color=INK)
        ax.set_yticks(positions, labels)
        ax.set_xlim(0, max([*values, 1]) * 1.2)
        ax.set_title(subtitle, fontsize=11)
        _frame(ax, "x")
        if not labels:
            ax.text(0.5, 0.5, "—", transform=ax.transAxes, ha="center", va="center", color="#9e9e9e")
            ax.set_yticks([])
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=13, color=INK)
    fig.tight_layout()
    return _save(fig, plt, path)
