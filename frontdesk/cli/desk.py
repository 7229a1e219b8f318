"""`desk --as OPERATOR`: the operator's terminal on the case queue."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from frontdesk.cli.common import settings_from


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `desk` command."""
    parser = sub.add_parser("desk", help="the operator's terminal: /queue, /take N, /reply N text, /resolve N ...")
    parser.add_argument("--as", dest="as_operator", required=True, help="your operator id (see settings.yaml)")
    parser.add_argument("--db", type=Path, help="SQLite file (default: frontdesk.sqlite3, or FRONTDESK_DB)")
    parser.add_argument("--faq", type=Path, help="FAQ file for /faq N ENTRY_ID (default: faq.yaml)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the operator desk until end of input."""
    from handlers.operator_console import run_operator_console

    settings = settings_from(args)
    return asyncio.run(run_operator_console(settings, settings.db_path, args.as_operator))
