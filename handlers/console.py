"""The citizen console: chat with the desk in a terminal, or script it through stdin (one message per line)."""

from __future__ import annotations

import logging
import sys
import time
from typing import TextIO

from frontdesk.desk import Desk
from frontdesk.model import Choice, Citizen, IncomingMessage, OutgoingMessage
from handlers.terminal import LineReader

log = logging.getLogger(__name__)

PLATFORM = "console"
POLL_SECONDS = 0.5


def render(reply: OutgoingMessage) -> str:
    """Turn a neutral reply into console text, numbering its choices."""
    lines = [reply.text]
    lines.extend(f"  {i}. {choice.label}" for i, choice in enumerate(reply.choices, 1))
    return "\n".join(lines)


def to_incoming(line: str, citizen: Citizen, choices: list[Choice], language: str | None, seq: str) -> IncomingMessage:
    """Translate one typed line into a neutral message; a number picks one of the last offered choices."""
    text = line.strip()
    if text.isdigit() and 1 <= int(text) <= len(choices):
        return IncomingMessage(citizen, choice=choices[int(text) - 1].key, language_hint=language,
                               message_id=f"console-{seq}")
    return IncomingMessage(citizen, text=text, language_hint=language, message_id=f"console-{seq}")


class CitizenConsole:
    """One citizen's terminal conversation with the desk."""

    def __init__(self, desk: Desk, citizen: Citizen, out: TextIO, deliver=None):
        self.desk = desk
        self.citizen = citizen
        self.out = out
        self.deliver = deliver  # async callable(citizen) -> list[str]: operator replies waiting for this citizen
        self.choices: list[Choice] = []
        self.language: str | None = None
        self.seq = 0
        self.session = f"{time.time_ns():x}"  # message ids must stay unique across console runs

    def show(self, text: str) -> None:
        """Print one block of bot output."""
        self.out.write(text + "\n\n")
        self.out.flush()

    async def say(self, line: str) -> None:
        """Send one typed line to the desk and print the replies."""
        self.seq += 1
        message = to_incoming(line, self.citizen, self.choices, self.language, f"{self.session}-{self.seq}")
        if not message.text and not message.choice:
            return
        try:
            replies = await self.desk.handle(message)
        except Exception as exc:  # never let one message end the conversation
            log.error("desk failed on a console message: %s", type(exc).__name__)
            lang = self.language or "zh"
            self.show(self.desk.knowledge.current.phrases.say("error_apology", lang))
            return
        offered = [c for reply in replies for c in reply.choices]
        if offered or replies:
            self.choices = offered
        for reply in replies:
            self.language = reply.language
            self.show(render(reply))

    async def poll(self) -> None:
        """Print operator replies that arrived for this citizen."""
        if self.deliver is None:
            return
        for text in await self.deliver(self.citizen):
            self.show(text)


async def run_console(console: CitizenConsole, stdin: TextIO = sys.stdin, prompt: bool | None = None) -> None:
    """Read lines until EOF, answering each and printing operator replies as they arrive."""
    prompt = stdin.isatty() if prompt is None else prompt
    reader = LineReader(stdin, "citizen-console-stdin")
    while True:
        if prompt:
            console.out.write("> ")
            console.out.flush()
        line = await reader.next_line(console.poll, POLL_SECONDS)
        await console.poll()
        if line is None:
            return
        await console.say(line)
        await console.poll()
