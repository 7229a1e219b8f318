"""Measure FAQ matching on labelled queries: ranking quality, decisions, out-of-scope handling and speed."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from frontdesk.yamlfile import DataFileError, Problem

HEADER = ("query", "expected_id")

Query = tuple[str, str | None]
Judge = Callable[[str], tuple[Any, Sequence[Any]]]


def load_queries(path: str | Path) -> list[Query]:
    """Read a TSV of `query<TAB>expected_id` (empty id: out of scope), raising DataFileError naming the line."""
    path = Path(path)
    file = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFileError([Problem(file, None, "(file)", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError([Problem(file, None, "(file)", f"cannot read file: {exc}")]) from None
    if not lines or tuple(c.strip() for c in lines[0].lstrip("\ufeff").split("\t")) != HEADER:
        raise DataFileError([Problem(file, 1, "(header)", "the first line must be 'query<TAB>expected_id'")])
    queries: list[Query] = []
    problems: list[Problem] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) > 2:
            problems.append(Problem(file, number, "(line)", f"expected 2 tab-separated fields, found {len(fields)}"))
            continue
        query = fields[0].strip()
        expected = fields[1].strip() if len(fields) == 2 else ""
        if not query:
            problems.append(Problem(file, number, "query", "empty query"))
            continue
        if any(ch.isspace() for ch in expected):
            problems.append(Problem(file, number, "expected_id", f"not an entry id: {expected!r}"))
            continue
        queries.append((query, expected or None))
    if problems:
        raise DataFileError(problems)
    return queries


def _offered(decision: Any, ranked: Sequence[Any], suggestions: int) -> list[str]:
    """Return the entry ids offered as choices: the decision's own candidates when it carries them."""
    chosen = getattr(decision, "candidates", None)
    pool = chosen if chosen is not None else ranked[:suggestions]
    return [c.entry_id for c in pool]


def _percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile: the smallest value at or above `share` of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def evaluate(
    judge: Judge,
    queries: Iterable[Query],
    progress: Callable[[int, int], None] | None = None,
    suggestions: int = 3,
) -> dict:
    """Run judge on every query and return ranking, decision and speed metrics.

    judge(query) returns (kind, ranked candidates); kind is "answer" / "suggest" / "handoff" (anything else
    counts as none of them), or a MatchDecision whose candidates are the choices offered. With a plain kind
    the first `suggestions` ranked candidates count as offered.
    """
    queries = list(queries)
    total = len(queries)
    counts = dict.fromkeys(
        ("top1", "top3", "answered_correct", "answered_wrong", "suggested_correct", "oos_answered", "oos_suggested"),
        0,
    )
    in_scope = out_of_scope = 0
    timings: list[float] = []
    misses: list[dict] = []
    for done, (query, expected) in enumerate(queries, start=1):
        started = time.perf_counter()
        decision, ranked = judge(query)
        timings.append((time.perf_counter() - started) * 1000.0)
        kind = getattr(decision, "kind", decision)
        ids = [c.entry_id for c in ranked]
        if expected is None:
            out_of_scope += 1
            counts["oos_answered"] += kind == "answer"
            counts["oos_suggested"] += kind == "suggest"
            if kind == "answer":
                misses.append({"query": query, "expected": None, "kind": kind, "got": ids[:3]})
        else:
            in_scope += 1
            counts["top1"] += ids[:1] == [expected]
            counts["top3"] += expected in ids[:3]
            answered = ids[0] if kind == "answer" and ids else None
            if kind == "answer" and getattr(decision, "candidates", None):
                answered = decision.candidates[0].entry_id
            counts["answered_correct"] += answered is not None and answered == expected
            counts["answered_wrong"] += answered is not None and answered != expected
            counts["suggested_correct"] += kind == "suggest" and expected in _offered(decision, ranked, suggestions)
            if answered != expected:
                misses.append({"query": query, "expected": expected, "kind": kind, "got": ids[:3]})
        if progress is not None:
            progress(done, total)

    def share(name: str, of: int) -> float:
        return counts[name] / of if of else 0.0

    result = {name: share(name, in_scope) for name in
              ("top1", "top3", "answered_correct", "answered_wrong", "suggested_correct")}
    result["oos_answered"] = share("oos_answered", out_of_scope)
    result["oos_suggested"] = share("oos_suggested", out_of_scope)
    result["in_scope"] = in_scope
    result["out_of_scope"] = out_of_scope
    result["ms_per_query"] = {
        "median": statistics.median(timings) if timings else 0.0,
        "p99": _percentile(timings, 0.99) if timings else 0.0,
    }
    result["misses"] = misses
    return result
