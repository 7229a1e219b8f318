"""`faq check [PATH]`: validate an FAQ file (and the intent and message files) for maintainers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from frontdesk.faq import load_faq
from frontdesk.phrases import load_phrases
from frontdesk.settings import load_settings
from frontdesk.yamlfile import DataFileError
from intents.classify import load_intents


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `faq` command group."""
    faq = sub.add_parser("faq", help="maintain the FAQ: check it")
    faq_sub = faq.add_subparsers(dest="faq_command", metavar="SUBCOMMAND", required=True)
    check = faq_sub.add_parser("check", help="validate an FAQ file; exit 1 with file:line: field: problem")
    check.add_argument("path", nargs="?", type=Path, help="FAQ file (default: the configured faq.yaml)")
    check.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    """Validate the FAQ and, when checking the configured one, the intent and message files too."""
    settings = load_settings(getattr(args, "settings", None))
    path = args.path or settings.faq_path
    problems = []
    try:
        faq = load_faq(path)
    except DataFileError as exc:
        problems.extend(exc.problems)
        faq = None
    if args.path is None:
        for loader, target in ((load_intents, settings.intents_path), (load_phrases, settings.messages_paths[0])):
            try:
                loader(target)
            except DataFileError as exc:
                problems.extend(exc.problems)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{path}: {len(problems)} problem(s); the file was not accepted.", file=sys.stderr)
        return 1
    print(f"{path}: OK, {len(faq.entries)} entries.")
    return 0
