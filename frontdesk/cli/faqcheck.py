"""`faq check|import|gaps`: the maintainers' FAQ tools (lint, spreadsheet import, questions the bot missed)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from frontdesk.lint import RULES, lint_file
from frontdesk.phrases import load_phrases
from frontdesk.settings import load_settings
from frontdesk.yamlfile import DataFileError
from intents.classify import load_intents


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `faq` command group: check, import and gaps."""
    faq = sub.add_parser("faq", help="maintain the FAQ: check it, import a spreadsheet, list unanswered questions")
    faq_sub = faq.add_subparsers(dest="faq_command", metavar="SUBCOMMAND", required=True)

    rules = "; ".join(f"{name}: {text}" for name, text in RULES.items())
    check = faq_sub.add_parser(
        "check", help="validate and lint an FAQ file; exit 1 with file:line: field: problem",
        description=f"Errors (the file is refused) always fail. Warnings fail only with --strict. Rules: {rules}.",
    )
    check.add_argument("path", nargs="?", type=Path, help="FAQ file (default: the configured faq.yaml)")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--today", type=_date, help="judge valid_until as of this date (default: today)")
    check.set_defaults(handler=run_check)

    imp = faq_sub.add_parser(
        "import", help="turn a CSV or XLSX of questions and answers into FAQ entries, merged by id",
        description="Rows become entries; an existing FAQ is updated by id (or by first question when the sheet "
        "has no id column) and new rows are appended, keeping the maintainers' comments. The result is "
        "validated before it is written.",
    )
    imp.add_argument("file", type=Path, help="spreadsheet: .csv (UTF-8 or GBK) or .xlsx")
    imp.add_argument("--out", type=Path, help="FAQ to merge into and write (default: the configured faq.yaml)")
    imp.add_argument("--sheet", help="XLSX worksheet name (default: the first)")
    imp.add_argument("--id-col", help="column with entry ids (default: id / 编号 if present; else ids are made)")
    imp.add_argument("--question-col", action="append",
                     help="column with questions; repeat for several columns (default: question / 问题)")
    imp.add_argument("--answer-col", help="column with the Chinese answer (default: answer / 答案)")
    imp.add_argument("--answer-en-col", help="column with the English answer (default: answer_en / 英文答案)")
    imp.add_argument("--category-col", help="column with the category (default: category / 分类)")
    imp.add_argument("--delimiter", action="append",
                     help="separator between question variants in one cell; repeatable "
                     "(default: '|', '｜' and line breaks)")
    imp.add_argument("--dry-run", action="store_true", help="show what would change without writing")
    imp.set_defaults(handler=run_import)

    gaps = faq_sub.add_parser(
        "gaps", help="group the questions the bot could not answer, with a YAML skeleton for each new entry",
    )
    gaps.add_argument("--since", type=_date, help="first day to include (default: 7 days ago)")
    gaps.add_argument("--db", type=Path, help="SQLite file (default: frontdesk.sqlite3, or FRONTDESK_DB)")
    gaps.add_argument("--faq", type=Path, help="FAQ file (default: faq.yaml, or FRONTDESK_FAQ)")
    gaps.add_argument("--limit", type=int, default=20, help="how many groups to show (default 20)")
    gaps.add_argument("--examples", type=int, default=5, help="example questions per group (default 5)")
    gaps.set_defaults(handler=run_gaps)


def run_check(args: argparse.Namespace) -> int:
    """Validate and lint the FAQ and, when checking the configured one, the intent and message files too."""
    settings = load_settings(getattr(args, "settings", None))
    path = args.path or settings.faq_path
    result = lint_file(path, settings.matching, args.today)
    errors = list(result.errors)
    if args.path is None:
        for loader, targets in ((load_intents, (settings.intents_path,)), (load_phrases, settings.messages_paths)):
            try:
                loader(*targets)
            except DataFileError as exc:
                errors.extend(exc.problems)
    for problem in errors:
        print(f"error: {problem}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if errors:
        print(f"{path}: {len(errors)} problem(s); the file was not accepted.", file=sys.stderr)
        return 1
    count = len(result.warnings)
    summary = f"{path}: OK, {len(result.faq.entries)} entries"
    if not count:
        print(summary + ".")
        return 0
    if args.strict:
        print(f"{summary}, but {count} warning(s) and --strict was given.", file=sys.stderr)
        return 1
    print(f"{summary}, {count} warning(s) (see above; --strict makes them fail).")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Import a spreadsheet into the FAQ file."""
    from frontdesk.importer import Columns, import_file

    settings = load_settings(getattr(args, "settings", None))
    out = args.out or settings.faq_path
    columns = Columns.with_defaults(
        id=args.id_col, questions=tuple(args.question_col or ()), answer=args.answer_col,
        answer_en=args.answer_en_col, category=args.category_col,
        delimiters=tuple(args.delimiter or ()),
    )
    try:
        outcome = import_file(args.file, out, columns, sheet=args.sheet, write=not args.dry_run)
    except DataFileError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{out}: not written ({len(exc.problems)} problem(s)).", file=sys.stderr)
        return 1
    verb = "would write" if args.dry_run else "wrote"
    print(f"{out}: {verb} {outcome.total} entries: {len(outcome.added)} added, {len(outcome.updated)} updated, "
          f"{len(outcome.unchanged)} unchanged (from {outcome.rows} rows of {args.file}).")
    for entry_id in outcome.added:
        print(f"  + {entry_id}")
    for entry_id in outcome.updated:
        print(f"  ~ {entry_id}")
    if not args.dry_run:
        print(f"Next: python bot.py faq check {out}")
    return 0


def run_gaps(args: argparse.Namespace) -> int:
    """Print the groups of unanswered questions, most asked first."""
    import asyncio
    import time

    from frontdesk.cli.common import database_missing, knowledge_from, settings_from
    from frontdesk.gaps import find_gaps, render_gaps
    from frontdesk.safetext import for_terminal
    from frontdesk.store import SqliteStore

    settings = settings_from(args)
    if database_missing(settings):
        return 2
    kb = knowledge_from(settings).current
    tz = settings.tzinfo()
    since = args.since or dt.datetime.now(tz).date() - dt.timedelta(days=7)

    async def collect():
        async with SqliteStore(settings.db_path) as store:
            start = dt.datetime.combine(since, dt.time(), tz).timestamp()
            return await find_gaps(store, kb.matcher, kb.faq, start, time.time() + 1, examples=args.examples,
                                   matching=settings.matching)

    gaps = asyncio.run(collect())
    print(for_terminal(render_gaps(gaps[: args.limit], since, total_groups=len(gaps), tz=tz)), end="")
    return 0
