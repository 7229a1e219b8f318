"""Two terminals on one database file: a citizen console and an operator desk carry a conversation end to end."""

from __future__ import annotations

import os
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from frontdesk.operators import load_operator_phrases

ROOT = Path(__file__).resolve().parent.parent
PHRASES = load_operator_phrases()
QUESTION = "帮我查一下我家小区明天停不停水"
SETTINGS_YAML = """
version: 1
queue:
  reopen_days: 3
operators:
  - id: duty1
    name: 值班员一 / Duty 1
"""


def say(key: str, **fields) -> str:
    return PHRASES.say(key, "zh", **fields)


class Terminal:
    """A program on the other end of a pipe: type a line, wait for output matching a pattern."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, encoding="utf-8", bufsize=1)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def expect(self, pattern: str, timeout: float = 10.0) -> re.Match:
        """Wait until an output line matches `pattern` (a regex), and return the match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no output matching {pattern!r}; saw:\n" + "\n".join(self.seen))
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"the program ended before {pattern!r}; saw:\n" + "\n".join(self.seen)
                                     + "\nstderr:\n" + self.process.stderr.read())
            self.seen.append(line)
            match = regex.search(line)
            if match:
                return match

    def finish(self, timeout: float = 10.0) -> int:
        """Close the input (end of the session) and return the exit code."""
        self.process.stdin.close()
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.stdout.close()
            self.process.stderr.close()


def desk_command(db: Path) -> list[str]:
    """`python bot.py desk` once the CLI has it, else the desk module's own entry point."""
    from frontdesk.cli import build_parser

    choices = next((a.choices for a in build_parser()._actions if getattr(a, "choices", None)), {})
    if "desk" in choices:
        return [sys.executable, "bot.py", "desk", "--db", str(db), "--as", "duty1"]
    return [sys.executable, "-m", "handlers.operator_console", "--db", str(db), "--as", "duty1"]


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS_YAML, encoding="utf-8")
    return {**os.environ, "FRONTDESK_SETTINGS": str(settings), "PYTHONUNBUFFERED": "1",
            "PYTHONIOENCODING": "utf-8"}


def test_citizen_and_operator_terminals_carry_a_conversation(tmp_path, env):
    db = tmp_path / "frontdesk.sqlite3"
    citizen = Terminal([sys.executable, "bot.py", "console", "--db", str(db), "--citizen", "alice",
                        "--name", "王先生"], env)
    operator = None
    try:
        citizen.type(QUESTION)
        number = int(citizen.expect(r"#(\d+)").group(1))
        label = f"#{number}"

        operator = Terminal(desk_command(db), env)
        operator.expect(re.escape("值班台"))
        operator.type("/queue")
        operator.expect(re.escape(label) + r" \[")
        operator.type(f"/take {number}")
        operator.expect(re.escape(f"已接手 {label}"))
        citizen.expect(re.escape(say("to_citizen_taken", case=label)))

        operator.type(f"/reply {number} 您好，请问是哪个小区？")
        operator.expect(re.escape(say("replied", case=label)))
        citizen.expect(re.escape("您好，请问是哪个小区？"))

        citizen.type("阳光花园小区，3栋")
        operator.expect(re.escape(say("citizen_message", case=label, name="王先生", text="阳光花园小区，3栋")))

        operator.type(f"/reply {number} 阳光花园明天9点到15点停水，请提前储水。")
        citizen.expect(re.escape("阳光花园明天9点到15点停水，请提前储水。"))
        operator.type(f"/resolve {number} 已告知停水时间")
        operator.expect(re.escape(say("resolved", case=label)))
        citizen.expect(re.escape(say("to_citizen_resolved", case=label, days="3")))
        assert operator.finish() == 0
        operator = None
        assert citizen.finish() == 0
    finally:
        for terminal in (citizen, operator):
            if terminal is not None and terminal.process.poll() is None:
                terminal.process.kill()

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT status, operator_id, summary FROM cases WHERE number = ?", (number,)).fetchone() \
            == ("resolved", "duty1", "已告知停水时间")
        log = conn.execute("SELECT author, text FROM case_messages WHERE case_number = ? ORDER BY id",
                           (number,)).fetchall()
        said = [(author, text) for author, text in log if author in ("citizen", "operator")]
        assert said == [("citizen", QUESTION), ("operator", "您好，请问是哪个小区？"), ("citizen", "阳光花园小区，3栋"),
                        ("operator", "阳光花园明天9点到15点停水，请提前储水。")]
        assert conn.execute("SELECT COUNT(*) FROM outbox WHERE status <> 'delivered'").fetchone() == (0,)
        assert [k for (k,) in conn.execute("SELECT kind FROM case_events WHERE case_number = ? ORDER BY id",
                                           (number,))] == ["opened", "claimed", "resolved"]
    finally:
        conn.close()
