"""`report [--day DATE | --week | --month] [--out DIR]`: the supervisors' Markdown report with PNG charts."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from frontdesk.cli.common import add_data_options, database_missing, knowledge_from, settings_from


def _day(text: str) -> str:
    if text not in ("today", "yesterday"):
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD, today or yesterday): {text!r}") from None
    return text


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `report` command."""
    parser = sub.add_parser(
        "report", help="write a Markdown report with PNG charts for a day, a week or a month",
        description="Writes DIR/<period>/report.md and its charts: messages per hour, answered vs handed off, "
        "handoffs by reason and category, time to claim against the limits, forwards to departments, the most "
        "asked entries, 'not helpful' rates and topics rising against the previous 7 days.",
    )
    parser.add_argument("--day", type=_day, help="the (last) day: YYYY-MM-DD, today or yesterday (default)")
    span = parser.add_mutually_exclusive_group()
    span.add_argument("--week", action="store_true", help="the 7 days ending on --day")
    span.add_argument("--month", action="store_true", help="the 30 days ending on --day")
    parser.add_argument("--out", type=Path, default=Path("reports"), help="folder for the reports (default reports/)")
    add_data_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Gather the figures and write the report."""
    import asyncio

    from frontdesk.report import gather, period_for, write_report
    from frontdesk.store import SqliteStore

    settings = settings_from(args)
    if database_missing(settings):
        return 2
    kb = knowledge_from(settings).current
    tz = settings.tzinfo()
    today = dt.datetime.now(tz).date()
    day = {"today": today, "yesterday": today - dt.timedelta(days=1)}.get(args.day) if args.day else None
    day = day or (dt.date.fromisoformat(args.day) if args.day else None)
    period = period_for(day, 30 if args.month else 7 if args.week else 1, tz, today)

    async def collect():
        async with SqliteStore(settings.db_path) as store:
            return await gather(store, period, kb.faq, kb.matcher, matching=settings.matching)

    data = asyncio.run(collect())
    path = write_report(data, kb.faq, settings, args.out)
    charts = sorted(p.name for p in path.parent.glob("*.png"))
    print(f"{path}: {len(data.questions):,} questions, {len(data.cases):,} cases; charts: {', '.join(charts) or '-'}")
    from frontdesk.charts import cjk_font

    if cjk_font() is None:
        print("note: no Chinese font found, so the charts use English labels "
              "(install one, e.g. apt-get install fonts-wqy-microhei).", file=sys.stderr)
    return 0
