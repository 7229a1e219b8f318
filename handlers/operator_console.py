"""The operators' console desk: `python bot.py desk --as OPERATOR [--db PATH]` in a terminal or through a pipe.

Reads one command per line (/queue, /take 12, /reply 12 ..., see /help) until end of input, prints the
replies, and while waiting for input it prints, about once a second, new citizen messages on the cases this
operator holds and the notices addressed to them (overdue escalations, transfers, withdrawals). It also runs
the escalation sweep, so overdue cases are escalated even when no Telegram bot is running. The FAQ, intent and
message files are loaded at start for /faq; /reload loads them again in this process (the bot reloads its own).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from frontdesk.clock import Clock
from frontdesk.escalation import Escalator, relay_notices
from frontdesk.knowledge import KnowledgeBase
from frontdesk.operators import OperatorDesk, load_operator_phrases, localized
from frontdesk.safetext import for_terminal
from frontdesk.settings import Settings, load_settings
from frontdesk.store import open_store
from frontdesk.yamlfile import DataFileError, Problem
from handlers.terminal import LineReader

POLL_SECONDS = 1.0


class PrintNotifier:
    """Shows notices in this terminal."""

    def __init__(self, write):
        self.write = write

    async def notify(self, operator_id: str | None, text: str) -> None:
        """Print one notice."""
        self.write(text)


def load_knowledge_base(settings: Settings) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load the FAQ, intents and phrases for the desk; on problems return them instead (the desk runs without)."""
    try:
        return KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths, settings.today), []
    except DataFileError as exc:
        return None, exc.problems


class OperatorConsole:
    """One operator's terminal session on the desk."""

    def __init__(self, desk: OperatorDesk, escalator: Escalator, operator_id: str, out: TextIO):
        self.desk = desk
        self.escalator = escalator
        self.operator_id = operator_id
        self.out = out
        self.notifier = PrintNotifier(self.show)
        self.cursor = 0

    def show(self, text: str) -> None:
        """Print one block of output."""
        self.out.write(for_terminal(text) + "\n")  # citizens' text may carry terminal escape sequences
        self.out.flush()

    async def start(self) -> None:
        """Greet the operator and start following new citizen lines from now on."""
        store = self.desk.store
        self.cursor = await store.last_message_id()
        on_duty = self.operator_id in await store.on_duty_operators()
        operator = self.desk.settings.operator(self.operator_id)
        name = localized(operator.name, self.desk.language) if operator else self.operator_id
        self.show(self.desk.say("console_welcome", name=name, operator=self.operator_id,
                                duty=self.desk.say("console_on_duty" if on_duty else "console_off_duty")))

    async def command(self, line: str) -> None:
        """Run one typed command and print its replies."""
        for text in await self.desk.handle(self.operator_id, line):
            self.show(text)

    async def tick(self) -> None:
        """Escalate what is overdue, then print this operator's notices and new citizen lines."""
        await self.escalator.sweep()
        await relay_notices(self.desk.store, self.notifier, self.desk.render_notice, self.operator_id)
        store = self.desk.store
        upto = await store.last_message_id()  # read first: a line written meanwhile is shown next tick
        for case, message in await store.citizen_messages_since(self.cursor, self.operator_id):
            if message.id <= upto:
                self.show(self.desk.render_citizen_message(case, message))
        self.cursor = max(self.cursor, upto)


async def run_operator_console(
    settings: Settings,
    db_path: str | Path | None,
    operator_id: str,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    *,
    poll_seconds: float = POLL_SECONDS,
    clock: Clock = time.time,
) -> int:
    """Run the operator's desk on the database until end of input; return the exit code (2: not an operator)."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    phrases = load_operator_phrases()
    if settings.operator(operator_id) is None:
        language = getattr(settings, "operator_language", None) or "zh"
        stdout.write(phrases.say("not_operator", language, operator=operator_id) + "\n")
        stdout.flush()
        return 2
    knowledge, problems = load_knowledge_base(settings)
    store = await open_store(settings, db_path, clock=clock)
    try:
        desk = OperatorDesk(store, settings, phrases, clock=clock, knowledge=knowledge)
        console = OperatorConsole(desk, Escalator(store, settings, clock=clock), operator_id, stdout)
        await console.start()
        if problems:
            console.show("\n".join([desk.say("console_no_knowledge"), *(f"  {p}" for p in problems)]))
        await console.tick()
        prompt = stdin.isatty()
        reader = LineReader(stdin, "operator-console-stdin")
        while True:
            if prompt:
                stdout.write("> ")
                stdout.flush()
            line = await reader.next_line(console.tick, poll_seconds)
            if line is None:
                await console.tick()
                return 0
            await console.command(line)
            await console.tick()
    finally:
        await store.close()


def main(argv: list[str] | None = None) -> int:
    """Run the desk from `python -m handlers.operator_console --as OPERATOR [--db PATH] [--settings PATH]`."""
    parser = argparse.ArgumentParser(prog="python -m handlers.operator_console",
                                     description="The operators' desk in a terminal.")
    parser.add_argument("--as", dest="operator", required=True, help="your operator id (see settings.yaml)")
    parser.add_argument("--db", type=Path, help="SQLite file (default: frontdesk.sqlite3, or FRONTDESK_DB)")
    parser.add_argument("--settings", help="settings file (default: settings.yaml)")
    args = parser.parse_args(argv)
    settings = load_settings(args.settings)
    try:
        return asyncio.run(run_operator_console(settings, args.db, args.operator))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
