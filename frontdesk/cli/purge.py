"""`purge --older-than DAYS`: erase citizens' texts and personal details past the retention period."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from frontdesk.cli.common import database_missing, settings_from


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `purge` command."""
    parser = sub.add_parser(
        "purge", help="erase message texts and personal details of cases closed more than DAYS ago",
        description="Erases what citizens wrote and who they are from closed or cancelled cases finished more than "
        "DAYS ago and from questions logged more than DAYS ago; keeps every count the reports use.",
    )
    parser.add_argument("--older-than", type=_days, required=True, metavar="DAYS", help="retention period in days")
    parser.add_argument("--dry-run", action="store_true", help="count what would be erased, change nothing")
    parser.add_argument("--db", type=Path, help="SQLite file (default: frontdesk.sqlite3, or FRONTDESK_DB)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Purge and print what was erased."""
    import asyncio

    from frontdesk.store import SqliteStore
    from frontdesk.store.purge import purge

    settings = settings_from(args)
    if database_missing(settings):
        return 2

    async def erase():
        async with SqliteStore(settings.db_path) as store:
            return await purge(store, args.older_than, dry_run=args.dry_run)

    result = asyncio.run(erase())
    cutoff = dt.datetime.fromtimestamp(result.cutoff).strftime("%Y-%m-%d %H:%M")
    verb = "would erase" if args.dry_run else "erased"
    print(f"{settings.db_path}: {verb} personal data older than {cutoff}: {result.cases} case(s), "
          f"{result.messages} case message(s), {result.interactions} question(s), {result.outbox} sent repl(ies), "
          f"{result.citizens} citizen record(s). Counts for reports are kept.")
    return 0
