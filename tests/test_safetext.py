"""Citizens' text is inert wherever it is rendered: terminals and Markdown reports."""

from __future__ import annotations

import asyncio
import io
import time

from frontdesk.model import Citizen
from frontdesk.safetext import for_markdown, for_terminal
from frontdesk.settings import load_settings
from frontdesk.store import open_store

HOSTILE = ("\x1b[2J\x1b]0;pwned\x07清屏<img src=x onerror=alert(1)> "
           "![t](http://evil.example/p.png) [点我](http://x) | **粗**")


def test_terminal_text_loses_control_characters_only():
    shown = for_terminal(HOSTILE + "\n第二行\t制表")
    assert "\x1b" not in shown and "\x07" not in shown
    assert "清屏" in shown and "第二行\t制表" in shown


def test_markdown_text_has_no_live_markup():
    shown = for_markdown(HOSTILE + "\n下一行")
    assert "<img" not in shown and "&lt;img" in shown
    assert "![" not in shown and "](" not in shown and "\\|" in shown and "**" not in shown
    assert "\n" not in shown and "下一行" in shown


def test_operator_desk_prints_no_escape_sequences(tmp_path, root):
    import dataclasses

    from handlers.operator_console import run_operator_console

    settings = dataclasses.replace(load_settings(root / "settings.yaml", environ={}), db_path=tmp_path / "d.sqlite3")

    async def scenario() -> str:
        store = await open_store(settings)
        await store.open_case(Citizen("console", "c1", "c1", "\x1b[31mred"), reason="unmatched", priority="normal",
                              question=HOSTILE, language="zh")
        await store.close()
        out = io.StringIO()
        await run_operator_console(settings, settings.db_path, "duty1", io.StringIO("/queue\n/history 1\n"), out,
                                   poll_seconds=0.05)
        return out.getvalue()

    started = time.monotonic()
    printed = asyncio.run(scenario())
    assert time.monotonic() - started < 30
    assert "清屏" in printed
    assert "\x1b" not in printed and "\x07" not in printed
