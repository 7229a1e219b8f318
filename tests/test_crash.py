"""Restart safety: a writer killed with SIGKILL in the middle of a burst loses no acknowledged write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from frontdesk.model import Citizen
from frontdesk.store import SqliteStore

ROOT = Path(__file__).resolve().parent.parent

# Opens cases, adds citizen lines, claims and enqueues replies as fast as it can; prints an ack line only
# after the store call returned (the transaction committed). Runs until killed.
WRITER = r"""
import asyncio, sys
from frontdesk.model import Citizen
from frontdesk.store import SqliteStore

async def main(path, tag):
    async with SqliteStore(path) as store:
        i = 0
        while True:
            i += 1
            user = f"{tag}-{i}"
            case = await store.open_case(Citizen("telegram", user, user, "市民"), reason="unmatched",
                                         priority="normal", question=f"question {user}", language="zh",
                                         message_id=f"{user}-q")
            print(f"case {case.number} {user}", flush=True)
            added = await store.add_message(case.number, "citizen", f"more {user}", platform_message_id=f"{user}-m")
            print(f"msg {case.number} {user}-m {int(added)}", flush=True)
            await store.claim(case.number, "duty1")
            item = await store.enqueue(case.number, "telegram", user, f"reply {user}", "duty1")
            print(f"outbox {item.id} {case.number} {user}", flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def run_and_kill(path: Path, tag: str, acks_before_kill: int) -> list[str]:
    """Start a writer, SIGKILL it after `acks_before_kill` acknowledged writes, return every ack it printed."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acks: list[str] = []
    deadline = time.monotonic() + 20
    try:
        while len(acks) < acks_before_kill:
            line = writer.stdout.readline()
            if not line:
                pytest.fail(f"writer ended early: {writer.stderr.read()}")
            acks.append(line.split("\n")[0])
            assert time.monotonic() < deadline, "the writer is too slow"
        os.kill(writer.pid, signal.SIGKILL)  # mid-burst: it is inside its next write right now
        writer.wait(10)
        acks.extend(line.rstrip("\n") for line in writer.stdout.read().splitlines())  # acks already in the pipe
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(10)
        writer.stdout.close()
        writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL
    return acks


def check_file(path: Path, acks: list[str]) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for ack in acks:
            kind, *fields = ack.split()
            if kind == "case":
                number, user = int(fields[0]), fields[1]
                row = conn.execute("SELECT user_id, question FROM cases WHERE number = ?", (number,)).fetchone()
                assert row == (user, f"question {user}"), ack
            elif kind == "msg":
                number, message_id = int(fields[0]), fields[1]
                row = conn.execute(
                    "SELECT COUNT(*) FROM case_messages WHERE case_number = ? AND platform_message_id = ?",
                    (number, message_id)).fetchone()
                assert row == (1,), ack
            else:
                item_id, number, user = int(fields[0]), int(fields[1]), fields[2]
                row = conn.execute("SELECT case_number, text, status FROM outbox WHERE id = ?", (item_id,)).fetchone()
                assert row == (number, f"reply {user}", "pending"), ack
        # nothing half-written either: every case has its question line and its opening step,
        # every outbox item its case-log line
        assert conn.execute("""SELECT COUNT(*) FROM cases c WHERE NOT EXISTS
                                 (SELECT 1 FROM case_messages m WHERE m.case_number = c.number)""").fetchone() == (0,)
        assert conn.execute("""SELECT COUNT(*) FROM cases c WHERE NOT EXISTS
                                 (SELECT 1 FROM case_events e WHERE e.case_number = c.number
                                  AND e.kind = 'opened')""").fetchone() == (0,)
        assert conn.execute("""SELECT COUNT(*) FROM outbox o WHERE NOT EXISTS
                                 (SELECT 1 FROM case_messages m WHERE m.id = o.message_id)""").fetchone() == (0,)
    finally:
        conn.close()


async def test_sigkill_mid_burst_loses_no_acknowledged_write(tmp_path):
    path = tmp_path / "crash.sqlite3"
    all_acks: list[str] = []
    for round_number, kill_after in enumerate((40, 97, 151)):
        acks = run_and_kill(path, f"r{round_number}", kill_after)
        assert len(acks) >= kill_after
        all_acks.extend(acks)
        check_file(path, all_acks)
    # and the store opens normally afterwards and carries on numbering
    async with SqliteStore(path) as store:
        last = max(int(a.split()[1]) for a in all_acks if a.startswith("case "))
        case = await store.open_case(Citizen("console", "after", "after"), reason="unmatched", priority="normal",
                                     question="after the crash", language="zh")
        assert case.number > last
