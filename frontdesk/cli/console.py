"""`console`: chat with the desk as a citizen in this terminal (or through piped stdin)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys

from frontdesk.cli.common import add_data_options, knowledge_from, settings_from
from frontdesk.desk import Desk
from frontdesk.model import Citizen
from frontdesk.outbox import console_delivery
from frontdesk.reload import KnowledgeWatcher
from frontdesk.store import open_store
from handlers.console import PLATFORM, CitizenConsole, run_console


def register(sub: argparse._SubParsersAction) -> None:
    """Register the `console` command."""
    parser = sub.add_parser("console", help="chat with the bot as a citizen in the terminal (stdin lines)")
    add_data_options(parser)
    parser.add_argument("--citizen", default=None, help="citizen id to chat as (default: your login name)")
    parser.add_argument("--name", default=None, help="display name shown to operators")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Start the citizen console until end of input."""
    settings = settings_from(args)
    knowledge = knowledge_from(settings)
    user = args.citizen or _login()
    citizen = Citizen(PLATFORM, user, user, args.name or user)
    asyncio.run(_chat(settings, knowledge, citizen))
    return 0


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "citizen"


async def _chat(settings, knowledge, citizen: Citizen) -> None:
    store = await open_store(settings)
    watcher = KnowledgeWatcher(knowledge, on_problem=_print_problems)
    watcher.start()
    try:
        desk = Desk(knowledge, store, settings)
        console = CitizenConsole(desk, citizen, sys.stdout, deliver=console_delivery(store))
        if sys.stdin.isatty():
            kb = knowledge.current
            console.show(kb.phrases.say("welcome", "zh", hours=settings.hotline_hours, phone=settings.hotline_phone,
                                        hotline_name=kb.phrases.say("hotline_name", "zh")))
        await run_console(console, sys.stdin)
    finally:
        await watcher.stop()
        await store.close()


async def _print_problems(problems) -> None:
    print("FAQ edit refused, still answering from the last good version:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
