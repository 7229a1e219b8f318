"""The citizen console end to end: a subprocess fed through stdin, on the shipped FAQ and a real SQLite file."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from frontdesk.faq import load_faq
from frontdesk.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parent.parent


def run_console(tmp_path, lines: list[str], who: str = "alice") -> str:
    db = tmp_path / "console.sqlite3"
    result = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "console", "--db", str(db), "--citizen", who],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_acceptance_conversation(tmp_path):
    faq = load_faq(ROOT / "faq.yaml")
    entry = faq.get("health-code-yellow-to-green")
    out = run_console(tmp_path, [
        "健康码变黄了怎么办",
        "My health code is yellow, what do I do?",
        "我发烧了，呼吸困难",
    ])
    blocks = out.split("\n\n")
    assert entry.answer("zh") in out
    assert entry.answer("en") in out
    urgent = next(b for b in blocks if "120" in b)
    assert "110" in urgent and "119" in urgent
    urgent_number = int(re.search(r"#(\d+)", urgent).group(1))

    far = run_console(tmp_path, ["帮我订一张机票"], who="bob")
    phrases_zh_suggest = "您是想问以下哪个问题"
    assert phrases_zh_suggest not in far and "  1. " not in far
    far_number = int(re.search(r"#(\d+)", far).group(1))

    store = SqliteStore(tmp_path / "console.sqlite3")
    await store.open()
    try:
        urgent_case = await store.get_case(urgent_number)
        far_case = await store.get_case(far_number)
    finally:
        await store.close()
    assert (urgent_case.reason, urgent_case.priority) == ("urgent", "urgent")
    assert urgent_case.question == "我发烧了，呼吸困难"
    assert (far_case.reason, far_case.question) == ("unmatched", "帮我订一张机票")


def test_numbered_choice_picks_an_option(tmp_path):
    out = run_console(tmp_path, ["/lang", "2", "健康码变黄了怎么办"])
    entry = load_faq(ROOT / "faq.yaml").get("health-code-yellow-to-green")
    assert "  1. 中文" in out and "  2. English" in out
    assert entry.answer("en") in out
