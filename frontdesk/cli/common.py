"""Helpers shared by the commands: settings, knowledge and store with their command-line overrides."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from frontdesk.knowledge import KnowledgeBase
from frontdesk.settings import Settings, load_settings
from frontdesk.yamlfile import DataFileError


def add_data_options(parser: argparse.ArgumentParser, db: bool = True) -> None:
    """Add the --faq (and --db) options every data-using command shares."""
    parser.add_argument("--faq", type=Path, help="FAQ file (default: faq.yaml, or FRONTDESK_FAQ)")
    if db:
        parser.add_argument("--db", type=Path, help="SQLite file (default: frontdesk.sqlite3, or FRONTDESK_DB)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Load settings and apply the command line's --faq / --db overrides."""
    settings = load_settings(getattr(args, "settings", None))
    changes = {}
    if getattr(args, "faq", None):
        changes["faq_path"] = args.faq
    if getattr(args, "db", None):
        changes["db_path"] = args.db
    return dataclasses.replace(settings, **changes)


def knowledge_from(settings: Settings) -> KnowledgeBase:
    """Load the FAQ, intents and phrases, exiting with the located problems when they are broken."""
    try:
        return KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths, settings.today)
    except DataFileError as exc:
        print("Cannot start: the data files have problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(2) from None


def database_missing(settings: Settings) -> bool:
    """Say (on stderr) and return True when the configured database file does not exist."""
    if Path(settings.db_path).exists():
        return False
    print(f"{settings.db_path}: no database here (use --db or FRONTDESK_DB).", file=sys.stderr)
    return True
