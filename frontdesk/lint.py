"""The FAQ linter: warnings beyond schema errors, each located by file, line and field and named by its rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from frontdesk.faq import LANGUAGES, Faq, parse_faq
from frontdesk.settings import MatchingSettings
from frontdesk.yamlfile import DataFileError, Node, Problem, read_yaml
from intents.language import detect_language
from intents.normalize import normalize

TELEGRAM_LIMIT = 4096  # characters in one Telegram message
LANGUAGE_NAMES = {"zh": "Chinese", "en": "English"}

# Every rule the linter applies, with what it means for the maintainer.
RULES = {
    "duplicate-question": "the same question is written in two entries (or twice in one)",
    "similar-entries": "a question of one entry scores for another entry about as well as for its own other questions",
    "missing-language": "the answer or the questions lack one of the languages",
    "answer-too-long": f"an answer is over Telegram's {TELEGRAM_LIMIT}-character limit",
    "expired": "valid_until is in the past: the bot no longer answers the entry",
    "related-missing": "related names an id that no entry has",
    "synonym-conflict": "one variant is listed under two synonym terms",
}


@dataclass(frozen=True)
class LintWarning(Problem):
    """A warning: the file loads, but something will hurt citizens or confuse the matcher."""

    rule: str = ""

    def __str__(self) -> str:
        return f"{super().__str__()} [{self.rule}]"


@dataclass(frozen=True)
class LintResult:
    """What checking one FAQ file found: the FAQ (None when it has errors), its errors and its warnings."""

    faq: Faq | None
    errors: list[Problem]
    warnings: list[LintWarning]


class _Lines:
    """Finds the line of an entry's field in the parsed tree, falling back to the entry's own line."""

    def __init__(self, root: Node):
        top = root.value if isinstance(root.value, dict) else {}
        entries = top.get("entries")
        self.entries: dict[str, Node] = {}
        self.index: dict[str, int] = {}
        for i, node in enumerate(entries.value if entries is not None and isinstance(entries.value, list) else []):
            id_node = node.value.get("id") if isinstance(node.value, dict) else None
            if id_node is not None and str(id_node.value) not in self.entries:
                self.entries[str(id_node.value)] = node
                self.index[str(id_node.value)] = i
        synonyms = top.get("synonyms")
        self.synonyms = synonyms.value if synonyms is not None and isinstance(synonyms.value, dict) else {}

    def where(self, entry_id: str, *path: str) -> str:
        """Return the field name as errors spell it: entries[3] (id x).answer.en."""
        return ".".join((f"entries[{self.index.get(entry_id, '?')}] (id {entry_id})", *path))

    def line(self, entry_id: str, *path: str | int) -> int | None:
        """Return the line of entries[id].path, or of the nearest enclosing node that exists."""
        node = self.entries.get(entry_id)
        if node is None:
            return None
        line = node.line
        for step in path:
            value = node.value
            found = (isinstance(step, int) and isinstance(value, list) and step < len(value)) or (
                isinstance(step, str) and isinstance(value, dict) and step in value)
            if not found:
                break
            node = value[step]
            line = node.line
        return line


def _duplicates(faq: Faq, lines: _Lines, file: str) -> list[LintWarning]:
    found: list[LintWarning] = []
    first: dict[str, tuple[str, int]] = {}
    for entry in faq.entries:
        for i, question in enumerate(entry.questions):
            key = normalize(question)
            if key not in first:
                first[key] = (entry.id, i)
                continue
            other, j = first[key]
            where = "the same entry" if other == entry.id else f"entry '{other}'"
            found.append(LintWarning(
                file, lines.line(entry.id, "questions", i), lines.where(entry.id, f"questions[{i}]"),
                f"question {question!r} is already in {where} (line {lines.line(other, 'questions', j)}); "
                "keep each question in one entry only", "duplicate-question",
            ))
    return found


def _similar(faq: Faq, lines: _Lines, file: str, matching: MatchingSettings, today: dt.date) -> list[LintWarning]:
    """Warn where a question, were it not listed, would not clearly lead to its own entry.

    Each question is scored against every variant (leave-one-out: its own variant is set aside). The pair is
    reported when another entry reaches the answer threshold and the question's own entry, from its other
    variants, does not lead that entry by the answer margin: then a citizen asking in those words could
    get the other entry's answer, or a "did you mean" instead of an answer.
    """
    from intents.matching import FaqMatcher  # the matcher is heavy; only the similar-entries rule needs it

    active = faq.active(today)
    if len(active.entries) < 2:
        return []
    matcher = FaqMatcher(active)
    owners = matcher.variant_entry
    worst: dict[frozenset[str], tuple[float, str, int, str, str]] = {}
    variant = 0
    for number, entry in enumerate(active.entries):
        for i, question in enumerate(entry.questions):
            scores = matcher.variant_scores(question).copy()
            scores[variant] = -1.0  # leave this question out
            own = scores[owners == number]
            own_best = float(own.max()) if own.size else 0.0
            others = np.where(owners == number, -1.0, scores)
            best = int(others.argmax())
            score = float(others[best])
            variant += 1
            if score < matching.answer or own_best - score >= matching.margin:
                continue
            other = matcher.entry_ids[owners[best]]
            if normalize(matcher.questions[best]) == normalize(question):
                continue  # the same question twice: the duplicate-question rule reports it
            pair = frozenset((entry.id, other))
            if pair not in worst or score > worst[pair][0]:
                worst[pair] = (score, entry.id, i, other, matcher.questions[best])
    found = []
    for score, entry_id, i, other, other_question in sorted(worst.values(), key=lambda w: (-w[0], w[1], w[3])):
        question = faq.get(entry_id).questions[i]
        found.append(LintWarning(
            file, lines.line(entry_id, "questions", i), lines.where(entry_id, f"questions[{i}]"),
            f"entries '{entry_id}' and '{other}' are so similar the matcher will confuse them: "
            f"{question!r} scores {score:.0f} for '{other}' ({other_question!r}), about as much as for its own "
            f"entry's other questions; make the questions more specific or merge the entries", "similar-entries",
        ))
    return found


def _languages(faq: Faq, lines: _Lines, file: str) -> list[LintWarning]:
    found = []
    for entry in faq.entries:
        if "*" not in entry.answers:
            for lang in LANGUAGES:
                if lang not in entry.answers:
                    found.append(LintWarning(
                        file, lines.line(entry.id, "answer"), lines.where(entry.id, "answer"),
                        f"no {LANGUAGE_NAMES[lang]} answer ({lang}): those citizens get another language",
                        "missing-language",
                    ))
        asked = {detect_language(q, "") for q in entry.questions}
        for lang in LANGUAGES:
            if lang not in asked:
                found.append(LintWarning(
                    file, lines.line(entry.id, "questions"), lines.where(entry.id, "questions"),
                    f"no {LANGUAGE_NAMES[lang]} question: people asking in {LANGUAGE_NAMES[lang]} find this "
                    "entry only through its answer, and only as a \"did you mean\" choice", "missing-language",
                ))
    return found


def _lengths(faq: Faq, lines: _Lines, file: str) -> list[LintWarning]:
    found = []
    for entry in faq.entries:
        for lang, text in entry.answers.items():
            if len(text) > TELEGRAM_LIMIT:
                path = ("answer",) if lang == "*" else ("answer", lang)
                found.append(LintWarning(
                    file, lines.line(entry.id, *path), lines.where(entry.id, *path),
                    f"{len(text)} characters, over Telegram's {TELEGRAM_LIMIT}-character limit for one message; "
                    "shorten it or split the entry", "answer-too-long",
                ))
    return found


def _expired(faq: Faq, lines: _Lines, file: str, today: dt.date) -> list[LintWarning]:
    return [
        LintWarning(
            file, lines.line(e.id, "valid_until"), lines.where(e.id, "valid_until"),
            f"expired on {e.valid_until.isoformat()}: the bot no longer answers this entry; "
            "update valid_until or remove the entry", "expired",
        )
        for e in faq.entries if e.expired(today)
    ]


def _related(faq: Faq, lines: _Lines, file: str) -> list[LintWarning]:
    found = []
    for entry in faq.entries:
        for i, target in enumerate(entry.related):
            if target == entry.id:
                problem = "is the entry itself"
            elif faq.get(target) is None:
                problem = "is not the id of any entry"
            else:
                continue
            found.append(LintWarning(
                file, lines.line(entry.id, "related", i), lines.where(entry.id, f"related[{i}]"),
                f"'{target}' {problem}", "related-missing",
            ))
    return found


def _synonyms(faq: Faq, lines: _Lines, file: str) -> list[LintWarning]:
    found = []
    owner: dict[str, str] = {}
    for term, variants in faq.synonyms.items():
        for variant in (term, *variants):
            key = normalize(variant)
            if key in owner and owner[key] != term:
                node = lines.synonyms.get(term)
                found.append(LintWarning(
                    file, node.line if node is not None else None, f"synonyms.{term}",
                    f"{variant!r} is also listed under '{owner[key]}'; a variant can mean only one term",
                    "synonym-conflict",
                ))
            owner.setdefault(key, term)
    return found


def lint(root: Node, faq: Faq, file: str, matching: MatchingSettings, today: dt.date) -> list[LintWarning]:
    """Return every warning about a valid FAQ, in file order within each rule."""
    lines = _Lines(root)
    return [
        *_duplicates(faq, lines, file),
        *_similar(faq, lines, file, matching, today),
        *_languages(faq, lines, file),
        *_lengths(faq, lines, file),
        *_expired(faq, lines, file, today),
        *_related(faq, lines, file),
        *_synonyms(faq, lines, file),
    ]


def lint_file(path: str | Path, matching: MatchingSettings | None = None, today: dt.date | None = None) -> LintResult:
    """Load an FAQ file and return its schema errors, or, when it loads, its warnings."""
    file = str(path)
    try:
        root = read_yaml(path)
        faq = parse_faq(root, file)
    except DataFileError as exc:
        return LintResult(None, list(exc.problems), [])
    warnings = lint(root, faq, file, matching or MatchingSettings(), today or dt.date.today())
    return LintResult(faq, [], warnings)
