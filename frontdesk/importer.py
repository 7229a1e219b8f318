"""Import a spreadsheet of questions and answers (CSV or XLSX) into faq.yaml, keeping the maintainers' comments.

Each row is one entry. Question cells may hold several variants separated by '|', '｜' or line breaks
(Alt+Enter in Excel) unless other delimiters are given. Rows with an id update the entry with that id; rows
without one update the entry that already has one of their questions, else become a new entry with an id
made from the first question (stable: importing the same sheet twice gives the same ids). Only the
imported fields (questions, answer, category) change; keywords, related, notes and comments stay as written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml as yaml11

from frontdesk.faq import ENTRY_ID, parse_faq
from frontdesk.progress import Progress
from frontdesk.yamlfile import DataFileError, Problem, parse_yaml
from intents.normalize import normalize

DEFAULT_DELIMITERS = ("|", "｜", "\n")
_RESOLVER = yaml11.resolver.Resolver()  # how the bot (PyYAML, YAML 1.1) reads a plain scalar
# Header names recognised when no column is given on the command line (compared case-insensitively).
ALIASES = {
    "id": ("id", "entry id", "entry_id", "编号", "条目编号"),
    "questions": ("question", "questions", "question_zh", "question_en", "questions_en", "english question",
                  "问题", "问法", "常见问题", "中文问题", "英文问题"),
    "answer": ("answer", "answer_zh", "答案", "回答", "答复", "中文答案", "中文回答"),
    "answer_en": ("answer_en", "english answer", "answer (en)", "英文答案", "英文回答"),
    "category": ("category", "topic", "分类", "类别", "类型", "栏目"),
}
HEADER = """\
# frontdesk FAQ, imported from a spreadsheet. Check it with: python bot.py faq check
version: 1
entries: []
"""


@dataclass(frozen=True)
class Columns:
    """Which spreadsheet columns hold what: header names, None for 'look for the usual names'."""

    id: str | None = None
    questions: tuple[str, ...] = ()
    answer: str | None = None
    answer_en: str | None = None
    category: str | None = None
    delimiters: tuple[str, ...] = DEFAULT_DELIMITERS

    @classmethod
    def with_defaults(cls, *, delimiters: tuple[str, ...] = (), **names) -> Columns:
        """Build Columns from command-line values, using the default delimiters when none are given."""
        return cls(delimiters=delimiters or DEFAULT_DELIMITERS, **names)


@dataclass
class Row:
    """One spreadsheet row as an FAQ entry to write."""

    line: int
    id: str | None
    questions: list[str]
    answers: dict[str, str]
    category: str | None


@dataclass
class Outcome:
    """What an import did (or would do)."""

    rows: int
    total: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    text: str = ""


def _decode(data: bytes, file: str) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK, Excel's Chinese CSV)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DataFileError([Problem(file, None, "(file)", "not UTF-8 or GBK text; save the sheet as CSV UTF-8")]) \
            from None


def _csv_rows(path: Path) -> Iterator[list[str]]:
    text = _decode(path.read_bytes(), str(path))
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() == ".tsv" or first.count("\t") > first.count(",") else ","
    yield from csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _xlsx_rows(path: Path, sheet: str | None) -> Iterator[list[str]]:
    import openpyxl  # heavy; only imports need it

    progress = Progress(f"reading {path.name}")
    progress.step("opening the workbook")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise DataFileError([Problem(str(path), None, "(file)", f"cannot open as XLSX: {exc}")]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DataFileError([Problem(str(path), None, "--sheet",
                                         f"no sheet {sheet!r}; the sheets are: {', '.join(book.sheetnames)}")])
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        for number, values in enumerate(ws.iter_rows(values_only=True), 1):
            progress.update(number, "rows")
            yield ["" if v is None else _cell(v) for v in values]
    finally:
        progress.done()
        book.close()


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)


def read_table(path: str | Path, sheet: str | None = None) -> list[list[str]]:
    """Return the rows of a CSV/TSV or XLSX file as lists of cell strings, the header row first."""
    path = Path(path)
    if not path.exists():
        raise DataFileError([Problem(str(path), None, "(file)", "file not found")])
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return list(_xlsx_rows(path, sheet))
    if suffix in (".csv", ".tsv", ".txt"):
        return list(_csv_rows(path))
    raise DataFileError([Problem(str(path), None, "(file)", "use a .csv or .xlsx file (save .xls as .xlsx)")])


def _key(name: str) -> str:
    return " ".join(name.replace("_", " ").split()).casefold()


def _resolve(header: list[str], columns: Columns, file: str) -> dict[str, list[int]]:
    """Map each field to its column indexes, raising DataFileError naming a column that is not there."""
    keys = [_key(h) for h in header]
    found: dict[str, list[int]] = {}
    problems = []
    given = {"id": columns.id, "answer": columns.answer, "answer_en": columns.answer_en, "category": columns.category}
    for name, option in (("id", "--id-col"), ("answer", "--answer-col"), ("answer_en", "--answer-en-col"),
                         ("category", "--category-col")):
        wanted = given[name]
        if wanted is not None:
            if _key(wanted) in keys:
                found[name] = [keys.index(_key(wanted))]
            else:
                problems.append(Problem(file, 1, option, f"no column {wanted!r}; the columns are: {', '.join(header)}"))
        else:
            aliases = {_key(a) for a in ALIASES[name]}
            hit = next((i for i, k in enumerate(keys) if k in aliases), None)
            if hit is not None:
                found[name] = [hit]
    if columns.questions:
        for wanted in columns.questions:
            if _key(wanted) in keys:
                found.setdefault("questions", []).append(keys.index(_key(wanted)))
            else:
                problems.append(Problem(file, 1, "--question-col",
                                        f"no column {wanted!r}; the columns are: {', '.join(header)}"))
    else:
        aliases = {_key(a) for a in ALIASES["questions"]}
        found["questions"] = [i for i, k in enumerate(keys) if k in aliases]
    if not problems and not found.get("questions"):
        problems.append(Problem(file, 1, "--question-col", f"no question column found among: {', '.join(header)}"))
    if not problems and "answer" not in found and "answer_en" not in found:
        problems.append(Problem(file, 1, "--answer-col", f"no answer column found among: {', '.join(header)}"))
    if problems:
        raise DataFileError(problems)
    return found


def split_questions(cell: str, delimiters: tuple[str, ...]) -> list[str]:
    """Split one cell into its question variants, dropping blanks and repeats."""
    if not cell.strip():
        return []
    pattern = "|".join(re.escape(d) for d in sorted(delimiters, key=len, reverse=True))
    parts = re.split(pattern, cell.replace("\r\n", "\n")) if pattern else [cell]
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def make_id(first_question: str, category: str | None = None) -> str:
    """Return a stable id for an entry without one: an ASCII category slug (if any) plus a hash of the question."""
    digest = hashlib.sha1(normalize(first_question).encode("utf-8")).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "-", (category or "").casefold()).strip("-")
    return f"{slug}-{digest}" if slug and slug.isascii() else f"q-{digest}"


def parse_rows(table: list[list[str]], columns: Columns, file: str) -> list[Row]:
    """Turn spreadsheet rows (header first) into Rows, raising DataFileError naming file, row and column."""
    if not table:
        raise DataFileError([Problem(file, None, "(file)", "the sheet is empty")])
    header = [h.strip().lstrip("\ufeff") for h in table[0]]
    where = _resolve(header, columns, file)
    problems: list[Problem] = []
    rows: list[Row] = []
    seen_ids: dict[str, int] = {}

    def cell(values: list[str], name: str) -> str:
        index = where.get(name, [None])[0]
        return values[index].strip() if index is not None and index < len(values) else ""

    progress = Progress(f"reading {Path(file).name}", len(table) - 1)
    for number, values in enumerate(table[1:], start=2):
        progress.update(number - 1)
        if not any(v.strip() for v in values):
            continue
        questions: list[str] = []
        for index in where["questions"]:
            if index < len(values):
                questions.extend(split_questions(values[index], columns.delimiters))
        questions = list(dict.fromkeys(questions))
        answers = {lang: text for lang, text in (("zh", cell(values, "answer")), ("en", cell(values, "answer_en")))
                   if text}
        entry_id = cell(values, "id") or None
        row_problems = []
        if not questions:
            row_problems.append(Problem(file, number, "question", "no question in this row"))
        if not answers:
            row_problems.append(Problem(file, number, "answer", "no answer in this row"))
        if entry_id is not None:
            if not ENTRY_ID.match(entry_id):
                row_problems.append(Problem(file, number, "id", f"{entry_id!r}: use only lowercase letters, digits, "
                                            "'-' and '_'"))
            elif entry_id in seen_ids:
                row_problems.append(Problem(file, number, "id", f"{entry_id!r} is also on row {seen_ids[entry_id]}"))
            else:
                seen_ids[entry_id] = number
        problems.extend(row_problems)
        if not row_problems:
            rows.append(Row(number, entry_id, questions, answers, cell(values, "category") or None))
    progress.done()
    if problems:
        raise DataFileError(problems)
    if not rows:
        raise DataFileError([Problem(file, None, "(file)", "no rows with a question and an answer")])
    return rows


def _yaml():
    from ruamel.yaml import YAML  # heavy; only imports need it

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long answer line
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.ignore_aliases = lambda *args: True  # one date used twice stays a date, not &id001
    return yaml


def _scalar(text: str):
    """Return text as ruamel should write it: a literal block when multi-line, quoted when plain would not read
    back as the same string (the bot reads YAML 1.1, where 12:30 is a number and yes is true)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString, PlainScalarString

    if "\n" in text:
        return LiteralScalarString(text + "\n")
    if _RESOLVER.resolve(yaml11.ScalarNode, text, (True, False)) != "tag:yaml.org,2002:str":
        return DoubleQuotedScalarString(text)
    return PlainScalarString(text)  # typed, so replacing a block answer does not keep the block style


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value).strip() if value is not None else None


def _apply(entry, row: Row, today: dt.date) -> list[str]:
    """Write a row's fields into an entry mapping in place; return the names of the fields that changed."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    changed = []
    if _plain(entry.get("questions")) != row.questions:
        old = entry.get("questions")
        if isinstance(old, CommentedSeq):
            old[:] = [_scalar(q) for q in row.questions]
        else:
            entry["questions"] = CommentedSeq(_scalar(q) for q in row.questions)
        changed.append("questions")
    answer = entry.get("answer")
    if not isinstance(answer, dict):  # a language-neutral answer becomes one per language
        answer = entry["answer"] = CommentedMap()
    for lang in ("zh", "en"):
        if lang in row.answers and _plain(answer.get(lang)) != row.answers[lang]:
            answer[lang] = _scalar(row.answers[lang])
            changed.append(f"answer.{lang}")
    if row.category and _plain(entry.get("category")) != row.category:
        entry["category"] = _scalar(row.category)
        changed.append("category")
    if changed and "updated" in entry:
        entry["updated"] = today
    return changed


def _new_entry(row: Row, entry_id: str, today: dt.date):
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    entry = CommentedMap()
    entry["id"] = entry_id
    if row.category:
        entry["category"] = _scalar(row.category)
    entry["questions"] = CommentedSeq(_scalar(q) for q in row.questions)
    answer = CommentedMap()
    for lang in ("zh", "en"):
        if lang in row.answers:
            answer[lang] = _scalar(row.answers[lang])
    entry["answer"] = answer
    entry["updated"] = today
    return entry


def merge(rows: list[Row], faq_text: str | None, today: dt.date | None = None, source: str = "(sheet)") -> Outcome:
    """Merge rows into an FAQ's YAML text (None: start a new FAQ) and return the outcome with the new text."""
    yaml = _yaml()
    today = today or dt.date.today()
    doc = yaml.load(faq_text if faq_text and faq_text.strip() else HEADER)
    entries = doc.get("entries")
    if entries is None:
        doc["entries"] = entries = yaml.load("[]")
    by_id = {str(e.get("id")): e for e in entries if isinstance(e, dict) and e.get("id") is not None}
    by_question = {}
    for entry_id, entry in by_id.items():
        for question in entry.get("questions") or []:
            by_question.setdefault(normalize(str(question)), entry_id)
    outcome = Outcome(rows=len(rows), total=0)
    claimed: dict[str, int] = {}
    problems = []
    for row in rows:
        entry_id = row.id
        if entry_id is None:
            entry_id = next((by_question[k] for k in map(normalize, row.questions) if k in by_question), None)
        entry_id = entry_id or make_id(row.questions[0], row.category)
        if entry_id in claimed:
            problems.append(Problem(source, row.line, "question",
                                    f"row {claimed[entry_id]} already fills entry '{entry_id}' (same id or question)"))
            continue
        claimed[entry_id] = row.line
        row.id = entry_id
        if entry_id in by_id:
            changed = _apply(by_id[entry_id], row, today)
            (outcome.updated if changed else outcome.unchanged).append(entry_id)
        else:
            entry = _new_entry(row, entry_id, today)
            entries.append(entry)
            by_id[entry_id] = entry
            outcome.added.append(entry_id)
    if problems:
        raise DataFileError(problems)
    if outcome.added:
        first_new = len(entries) - len(outcome.added)
        entries.yaml_set_comment_before_after_key(
            first_new, before=f"\nimported from {Path(source).name} on {today.isoformat()}", indent=2)
    if getattr(entries, "fa", None) is not None and entries.fa.flow_style():
        entries.fa.set_block_style()  # `entries: []` of a new file becomes a block list
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    outcome.text = buffer.getvalue()
    outcome.total = len(by_id)
    return outcome


def _validate(outcome: Outcome, rows: list[Row], out: Path, sheet_file: str) -> None:
    origin = {row.id: row.line for row in rows}
    try:
        parse_faq(parse_yaml(outcome.text, str(out)), str(out))
    except DataFileError as exc:
        located = []
        for problem in exc.problems:
            found = re.search(r"\(id ([^)]+)\)", problem.field)
            if found and found.group(1) in origin:
                problem = Problem(problem.file, problem.line, problem.field,
                                  f"{problem.message} (from {sheet_file} row {origin[found.group(1)]})")
            located.append(problem)
        raise DataFileError(located) from None


def write_atomically(path: Path, text: str) -> None:
    """Write text to path through a temporary file and a rename, so readers never see half a file."""
    path = Path(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def import_file(source: str | Path, out: str | Path, columns: Columns | None = None, *, sheet: str | None = None,
                write: bool = True, today: dt.date | None = None) -> Outcome:
    """Import a CSV/XLSX into the FAQ at `out` (created when missing), validating before an atomic write."""
    source, out = Path(source), Path(out)
    columns = columns or Columns()
    rows = parse_rows(read_table(source, sheet), columns, str(source))
    existing = None
    if out.exists():
        try:
            existing = out.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError([Problem(str(out), None, "(file)", f"cannot read file: {exc}")]) from None
        parse_yaml(existing, str(out))  # a target that is not even YAML is reported as such, untouched
    try:
        outcome = merge(rows, existing, today, str(source))
    except DataFileError:
        raise
    except Exception as exc:  # ruamel refuses some structures (e.g. entries not a list)
        raise DataFileError([Problem(str(out), None, "entries", f"cannot merge into this file: {exc}")]) from None
    _validate(outcome, rows, out, str(source))
    if write and (outcome.added or outcome.updated or existing is None):
        write_atomically(out, outcome.text)
    return outcome
