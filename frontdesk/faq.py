"""The FAQ knowledge base: its entries, and loading faq.yaml with validation that names file, line and field."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.yamlfile import DataFileError, Node, Problem, read_yaml

LANGUAGES = ("zh", "en")
ENTRY_ID = re.compile(r"^[a-z0-9_-]+$")
KNOWN_FIELDS = {
    "id", "category", "questions", "answer", "keywords", "related",
    "valid_until", "updated", "source", "notes",
}


@dataclass(frozen=True)
class Entry:
    """One FAQ entry: the ways people ask it and the answer in each language."""

    id: str
    questions: tuple[str, ...]
    answers: dict[str, str]  # language -> text; key "*" for a language-neutral answer
    category: str | None = None
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    valid_until: dt.date | None = None
    updated: str | None = None
    source: str | None = None
    line: int | None = None

    def answer(self, language: str) -> str:
        """Return the answer in `language`, falling back to any answer the entry has."""
        if language in self.answers:
            return self.answers[language]
        if "*" in self.answers:
            return self.answers["*"]
        for lang in LANGUAGES:
            if lang in self.answers:
                return self.answers[lang]
        return next(iter(self.answers.values()))

    def expired(self, today: dt.date) -> bool:
        """Say whether the entry's valid_until date has passed."""
        return self.valid_until is not None and self.valid_until < today


@dataclass(frozen=True)
class Faq:
    """A loaded, validated FAQ."""

    path: str
    entries: tuple[Entry, ...]
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        return self._by_id().get(entry_id)

    def _by_id(self) -> dict[str, Entry]:
        cache = self.__dict__.get("_index")
        if cache is None:
            cache = {e.id: e for e in self.entries}
            object.__setattr__(self, "_index", cache)
        return cache

    def active(self, today: dt.date) -> Faq:
        """Return this FAQ without the entries whose valid_until has passed."""
        kept = tuple(e for e in self.entries if not e.expired(today))
        return Faq(self.path, kept, self.synonyms)


def _text(node: Node | None) -> str | None:
    if node is None or node.value is None:
        return None
    if isinstance(node.value, (dict, list)):
        return None
    return str(node.value).strip()


def _string_list(node: Node, file: str, where: str, problems: list[Problem]) -> tuple[str, ...]:
    if isinstance(node.value, str):
        return (node.value.strip(),) if node.value.strip() else ()
    if not isinstance(node.value, list):
        problems.append(Problem(file, node.line, where, "must be a list of strings"))
        return ()
    items = []
    for i, item in enumerate(node.value):
        text = _text(item)
        if not text:
            problems.append(Problem(file, item.line, f"{where}[{i}]", "must be a non-empty string"))
        else:
            items.append(text)
    return tuple(items)


def _answers(node: Node | None, file: str, where: str, line: int, problems: list[Problem]) -> dict[str, str]:
    if node is None:
        problems.append(Problem(file, line, where, "missing: every entry needs an answer"))
        return {}
    if isinstance(node.value, dict):
        answers = {}
        for lang, text_node in node.value.items():
            if lang not in LANGUAGES:
                problems.append(Problem(
                    file, text_node.line, f"{where}.{lang}",
                    f"unknown language key '{lang}' (use one of: {', '.join(LANGUAGES)})",
                ))
                continue
            text = _text(text_node)
            if not text:
                problems.append(Problem(file, text_node.line, f"{where}.{lang}", "answer is empty"))
            else:
                answers[lang] = text
        if not node.value:
            problems.append(Problem(file, node.line, where, "answer is empty"))
        return answers
    text = _text(node)
    if not text:
        problems.append(Problem(file, node.line, where, "answer is empty"))
        return {}
    return {"*": text}


def _date(node: Node, file: str, where: str, problems: list[Problem]) -> dt.date | None:
    value = node.value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(file, node.line, where, f"not a date (YYYY-MM-DD): {value!r}"))
        return None


def _entry(node: Node, index: int, file: str, problems: list[Problem]) -> Entry | None:
    where = f"entries[{index}]"
    if not isinstance(node.value, dict):
        problems.append(Problem(file, node.line, where, "must be a mapping with id, questions and answer"))
        return None
    fields = node.value
    entry_id = _text(fields.get("id"))
    label = f"{where} (id {entry_id})" if entry_id else where
    if not entry_id:
        problems.append(Problem(file, node.line, f"{where}.id", "missing: every entry needs an id"))
    elif not ENTRY_ID.match(entry_id):
        problems.append(Problem(
            file, fields["id"].line, f"{label}.id", "use only lowercase letters, digits, '-' and '_'",
        ))
    for name, value in fields.items():
        if name not in KNOWN_FIELDS:
            problems.append(Problem(file, value.line, f"{label}.{name}", "unknown field"))
    questions: tuple[str, ...] = ()
    if "questions" not in fields:
        problems.append(Problem(file, node.line, f"{label}.questions", "missing: every entry needs questions"))
    else:
        questions = _string_list(fields["questions"], file, f"{label}.questions", problems)
        if not questions and isinstance(fields["questions"].value, (list, type(None), str)):
            problems.append(Problem(file, fields["questions"].line, f"{label}.questions", "no questions given"))
    answers = _answers(fields.get("answer"), file, f"{label}.answer", node.line, problems)
    keywords = _string_list(fields["keywords"], file, f"{label}.keywords", problems) if "keywords" in fields else ()
    related = _string_list(fields["related"], file, f"{label}.related", problems) if "related" in fields else ()
    valid_until = None
    if "valid_until" in fields:
        valid_until = _date(fields["valid_until"], file, f"{label}.valid_until", problems)
    if not entry_id or not questions or not answers:
        return None
    return Entry(
        id=entry_id,
        questions=questions,
        answers=answers,
        category=_text(fields.get("category")),
        keywords=keywords,
        related=related,
        valid_until=valid_until,
        updated=_text(fields.get("updated")),
        source=_text(fields.get("source")),
        line=node.line,
    )


def _synonyms(node: Node | None, file: str, problems: list[Problem]) -> dict[str, tuple[str, ...]]:
    if node is None or node.value is None:
        return {}
    if not isinstance(node.value, dict):
        problems.append(Problem(file, node.line, "synonyms", "must map a term to a list of variants"))
        return {}
    result = {}
    for term, variants in node.value.items():
        result[term] = _string_list(variants, file, f"synonyms.{term}", problems)
    return result


def parse_faq(root: Node, file: str) -> Faq:
    """Validate a parsed faq.yaml tree and build the Faq, raising DataFileError listing every problem."""
    problems: list[Problem] = []
    if not isinstance(root.value, dict):
        raise DataFileError([Problem(file, root.line, "(top level)", "must be a mapping with version and entries")])
    top = root.value
    version = top.get("version")
    if version is None:
        problems.append(Problem(file, root.line, "version", "missing: write 'version: 1'"))
    elif version.value != 1:
        problems.append(Problem(file, version.line, "version", f"unsupported version {version.value!r} (expected 1)"))
    for name, value in top.items():
        if name not in {"version", "synonyms", "entries"}:
            problems.append(Problem(file, value.line, name, "unknown top-level field"))
    synonyms = _synonyms(top.get("synonyms"), file, problems)
    entries_node = top.get("entries")
    entries: list[Entry] = []
    if entries_node is None or not isinstance(entries_node.value, list) or not entries_node.value:
        line = entries_node.line if entries_node else root.line
        problems.append(Problem(file, line, "entries", "missing or empty: list the FAQ entries"))
    else:
        seen: dict[str, int] = {}
        for index, item in enumerate(entries_node.value):
            entry_id = _text(item.value.get("id")) if isinstance(item.value, dict) else None
            if entry_id and entry_id in seen:
                problems.append(Problem(
                    file, item.value["id"].line, f"entries[{index}].id",
                    f"duplicate id '{entry_id}' (first used on line {seen[entry_id]})",
                ))
            elif entry_id:
                seen[entry_id] = item.value["id"].line
            entry = _entry(item, index, file, problems)
            if entry is not None:
                entries.append(entry)
    if problems:
        raise DataFileError(problems)
    return Faq(path=file, entries=tuple(entries), synonyms=synonyms)


def load_faq(path: str | Path) -> Faq:
    """Load and validate an FAQ file, raising DataFileError that names file, line and field."""
    return parse_faq(read_yaml(path), str(path))
