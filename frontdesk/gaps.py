"""FAQ gaps: the questions the bot could not answer, grouped, ranked, each with a skeleton for a new entry.

A question counts when the desk handed it to a person because nothing matched, when the citizen turned
down every suggestion, or when the citizen said the answer did not help. Questions are grouped when their
normalised texts are near-identical (rapidfuzz ratio >= GROUP_SIMILARITY), the groups are ranked by how often
they were asked, and each group shows examples, the closest existing entry and a YAML skeleton. Cases an
operator marked "add to FAQ" (/addfaq) come first, with the operator's draft, else their last reply, as the
draft answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import yaml

from frontdesk.faq import Faq
from frontdesk.privacy import mask, public_numbers
from frontdesk.progress import Progress
from frontdesk.settings import MatchingSettings
from frontdesk.store.reports import FaqSuggestion, MissedQuestion, faq_suggestions, missed_questions
from intents.normalize import default_lexicon, normalize, strip_fillers

GROUP_SIMILARITY = 75  # 0-100: "周末可以打加强针吗" / "周末能打加强针吗" group (80); "外卖" / "快递" do not (71)
SKELETON_QUESTIONS = 4
KIND_NAMES = {"unmatched": "unmatched", "none_fit": "no suggestion fitted", "not_helpful": "not helpful"}


@dataclass
class Gap:
    """A group of near-identical unanswered questions (or one case an operator marked for the FAQ)."""

    examples: list[tuple[str, int]]  # distinct texts (masked) with how often each was asked, most asked first
    count: int
    kinds: Counter = field(default_factory=Counter)
    not_helpful: Counter = field(default_factory=Counter)  # entry id -> times its answer was judged not helpful
    last_at: float = 0.0
    closest: tuple[str, float, str] | None = None  # entry id, score, the entry's question that matched
    category: str | None = None
    draft: str | None = None  # the operator's answer, for marked cases
    language: str = "zh"
    case_number: int | None = None  # for marked cases
    answered_by: str | None = None  # the entry that already answers this wording (its answer is the problem)

    @property
    def title(self) -> str:
        """Return the most asked wording."""
        return self.examples[0][0]


def _key(text: str) -> str:
    return strip_fillers(normalize(text), default_lexicon()).replace(" ", "") or normalize(text)


def group_questions(missed: list[MissedQuestion], similarity: int = GROUP_SIMILARITY) -> list[list[MissedQuestion]]:
    """Group questions whose normalised texts are near-identical, largest group first."""
    from rapidfuzz import fuzz, process

    by_key: dict[str, list[MissedQuestion]] = {}
    for question in missed:
        by_key.setdefault(_key(question.text), []).append(question)
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    heads: list[str] = []
    groups: list[list[MissedQuestion]] = []
    progress = Progress("grouping questions", len(keys))
    for done, key in enumerate(keys, 1):
        progress.update(done)
        best = process.extractOne(key, heads, scorer=fuzz.ratio, score_cutoff=similarity) if heads else None
        if best is None:
            heads.append(key)
            groups.append(list(by_key[key]))
        else:
            groups[best[2]].extend(by_key[key])
    progress.done()
    return sorted(groups, key=lambda g: (-len(g), -max(q.at for q in g)))


def _gap(group: list[MissedQuestion], matcher, faq: Faq, keep: frozenset[str], examples: int,
         matching: MatchingSettings) -> Gap:
    texts = Counter(" ".join(q.text.split()) for q in group)
    shown = [(mask(text, keep), n) for text, n in texts.most_common(examples)]
    gap = Gap(examples=shown, count=len(group), kinds=Counter(q.kind for q in group),
              not_helpful=Counter(q.entry_id for q in group if q.kind == "not_helpful" and q.entry_id),
              last_at=max(q.at for q in group),
              language=Counter(q.language for q in group).most_common(1)[0][0])
    _closest(gap, texts.most_common(1)[0][0], matcher, faq, matching)
    return gap


def _closest(gap: Gap, text: str, matcher, faq: Faq, matching: MatchingSettings) -> None:
    candidates = matcher.rank(text, limit=1)
    if candidates:
        best = candidates[0]
        gap.closest = (best.entry_id, best.score, best.question)
        entry = faq.get(best.entry_id)
        if entry is not None and best.score >= matching.suggest:  # a weak match says nothing about the topic
            gap.category = entry.category
        if best.score >= matching.answer:
            gap.answered_by = best.entry_id


def _suggestion_gap(suggestion: FaqSuggestion, matcher, faq: Faq, keep: frozenset[str],
                    matching: MatchingSettings) -> Gap:
    gap = Gap(examples=[(mask(" ".join(suggestion.question.split()), keep), 1)], count=1,
              kinds=Counter({"operator": 1}), last_at=suggestion.marked_at,
              draft=mask(suggestion.draft, keep) if suggestion.draft else None,
              language=suggestion.language, case_number=suggestion.case_number)
    _closest(gap, suggestion.question, matcher, faq, matching)
    gap.category = suggestion.category or gap.category
    return gap


async def find_gaps(store, matcher, faq: Faq, since: float, until: float, examples: int = 5,
                    matching: MatchingSettings | None = None) -> list[Gap]:
    """Return the operators' FAQ suggestions, then the groups of unanswered questions, most asked first."""
    matching = matching or MatchingSettings()
    keep = public_numbers(text for entry in faq.entries for text in entry.answers.values())
    suggestions = await faq_suggestions(store, since, until)
    marked = [_suggestion_gap(s, matcher, faq, keep, matching) for s in suggestions]
    listed = {s.case_number for s in suggestions}  # a marked case's question is not listed a second time
    missed = [q for q in await missed_questions(store, since, until) if q.case_number not in listed]
    groups = group_questions(missed)
    return marked + [_gap(group, matcher, faq, keep, examples, matching) for group in groups]


def _quote(text: str) -> str:
    """Return text as a YAML scalar that reads back as exactly this string."""
    try:
        if "\n" not in text and text == text.strip() and yaml.safe_load(text) == text:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text, ensure_ascii=False)


def new_id(gap: Gap) -> str:
    """Return a placeholder id for a new entry (stable for the same question)."""
    return "new-" + hashlib.sha1(_key(gap.title).encode("utf-8")).hexdigest()[:8]


def skeleton(gap: Gap) -> str:
    """Return a YAML entry to paste under `entries:` in faq.yaml; its answer must be written before it loads."""
    lines = [f"  - id: {new_id(gap)}"]
    if gap.category:
        lines.append(f"    category: {_quote(gap.category)}")
    lines.append("    questions:")
    lines.extend(f"      - {_quote(text)}" for text, _ in gap.examples[:SKELETON_QUESTIONS])
    lines.append("    answer:")
    for lang in ("zh", "en"):
        if gap.draft and lang == gap.language:
            lines.append(f"      {lang}: |")
            lines.extend(f"        {line}".rstrip() for line in gap.draft.splitlines())
        else:
            lines.append(f'      {lang}: ""    # write the {"Chinese" if lang == "zh" else "English"} answer')
    return "\n".join(lines)


def _when(at: float, tz: dt.tzinfo | None) -> str:
    return dt.datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d %H:%M")


def render_gaps(gaps: list[Gap], since: dt.date, total_groups: int | None = None, tz: dt.tzinfo | None = None) -> str:
    """Return the gaps as text for maintainers: each group with examples, closest entry and a skeleton."""
    asked = sum(g.count for g in gaps if g.case_number is None)
    total_groups = len(gaps) if total_groups is None else total_groups
    out = [f"Questions the bot could not answer since {since.isoformat()}: "
           f"{asked} shown in {len(gaps)} group(s) of {total_groups}, most asked first.",
           "Paste a skeleton under `entries:` in faq.yaml, write the answer, then run: python bot.py faq check", ""]
    if not gaps:
        out.append("Nothing to add: every question in this period was answered.")
    for number, gap in enumerate(gaps, 1):
        if gap.case_number is not None:
            out.append(f"{number}. [operator] case #{gap.case_number} marked for the FAQ on "
                       f"{_when(gap.last_at, tz)}: {gap.title}")
        else:
            kinds = ", ".join(f"{n} {KIND_NAMES.get(k, k)}" for k, n in gap.kinds.most_common())
            out.append(f"{number}. {gap.title} — asked {gap.count} time(s) ({kinds}), last {_when(gap.last_at, tz)}")
            out.append("   examples:")
            out.extend(f"     - {text}" + (f"  (x{n})" if n > 1 else "") for text, n in gap.examples)
        if gap.closest:
            entry_id, score, question = gap.closest
            out.append(f"   closest entry: {entry_id} (score {score:.0f}): {question}")
        else:
            out.append("   closest entry: none shares a word with it")
        for entry_id, n in gap.not_helpful.most_common():
            out.append(f"   the answer of {entry_id} was judged not helpful {n} time(s)")
        if gap.answered_by:
            out.append(f"   the bot already answers this with {gap.answered_by}: improve that entry's answer "
                       "(no new entry needed)")
        else:
            out.append("   skeleton (paste under entries:):")
            out.append(skeleton(gap))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
