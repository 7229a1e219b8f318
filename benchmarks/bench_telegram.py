"""Benchmark the whole Telegram stack: updates handled per second, many citizens at once, against the fake Bot API.

The fake Bot API server (tests/fake_bot_api.py) runs in its own process; the bot runs in this one, built by
handlers.telegram_app exactly as `python bot.py run` builds it (python-telegram-bot polling getUpdates, the
rate limiter, per-chat ordering, the desk on the shipped faq.yaml, a SQLite file, the operators' group with
case cards). Phase 1: every citizen sends one question at once (a mix of answered questions, "did you mean"
suggestions, greetings and handoffs that post a case card); phase 2: every citizen who got an answer presses
its "helpful" button. An update counts as handled when everything it causes has reached the server.

    python benchmarks/bench_telegram.py [--citizens 500] [--telegram-citizens 200] [--limits off|telegram|both]

`off` lifts the rate limits to measure the stack itself; `telegram` keeps Telegram's (30 messages/s overall,
20/min per group, about 1/s per private chat), which then bound the throughput. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from frontdesk.knowledge import KnowledgeBase  # noqa: E402
from frontdesk.settings import load_settings  # noqa: E402
from handlers.telegram_app import Intervals, RateLimits, build_application, start, stop  # noqa: E402
from intents.understand import understand  # noqa: E402

TOKEN = "123456:BENCH-token"
GROUP = -1009876543210
OPERATOR = 9001
UNMATCHED = ["我想咨询一下小区停车位的收费标准", "楼上邻居装修太吵了可以找谁", "How do I renew my library card?",
             "请问社保卡丢了去哪里补办", "公园几点关门"]
CONVERSATION = ["你好", "谢谢", "Hello!"]
NO_LIMITS = RateLimits(overall_per_second=0, group_per_minute=0, private_per_second=0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Control:
    """Talks to the fake server's /_control endpoints (blocking calls run in a thread)."""

    def __init__(self, port: int):
        self.url = f"http://127.0.0.1:{port}/_control"

    def _call(self, action: str, body: dict | None = None, query: str = ""):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/{action}{query}", data=data,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())["result"]

    async def call(self, action: str, body: dict | None = None, query: str = ""):
        """Run one control call."""
        return await asyncio.to_thread(self._call, action, body, query)

    async def count(self, method: str) -> int:
        """Return how many successful calls of `method` the server has seen."""
        return (await self.call("stats"))["calls"].get(method, 0)

    async def until(self, method: str, at_least: int, timeout: float) -> None:
        """Wait until the server has seen `at_least` successful calls of `method`."""
        deadline = time.monotonic() + timeout
        while await self.count(method) < at_least:
            if time.monotonic() > deadline:
                stats = await self.call("stats")
                raise SystemExit(f"timed out waiting for {at_least} {method}; server saw {stats}")
            await asyncio.sleep(0.02)


def workload(knowledge, settings, citizens: int) -> tuple[list[str], dict[str, int]]:
    """Pick each citizen's question (cycling answers, suggestions, small talk, handoffs) and count the decisions."""
    kb = knowledge.current
    answerable = [e.questions[0] for e in kb.faq.entries]
    partial = [q[: max(2, len(q) // 3)] for q in answerable]  # a fragment: often "did you mean"
    texts, kinds = [], {"answer": 0, "suggest": 0, "talk": 0, "handoff": 0}
    for i in range(citizens):
        slot = i % 10
        if slot < 5:
            text = answerable[i % len(answerable)]
        elif slot < 7:
            text = partial[i % len(partial)]
        elif slot == 7:
            text = CONVERSATION[i % len(CONVERSATION)]
        else:
            text = UNMATCHED[i % len(UNMATCHED)] + f" #{i}"
        seen = understand(text, kb.intents, kb.matcher, settings.matching)
        kind = seen.kind
        if kind in ("greeting", "thanks", "goodbye"):
            kind = "talk"
        elif kind not in ("answer", "suggest"):
            kind = "handoff"
        if seen.intent is not None and seen.intent.name == "urgent":
            text, kind = CONVERSATION[0], "talk"
        texts.append(text)
        kinds[kind] += 1
    return texts, kinds


async def run(citizens: int, limits: RateLimits, label: str, faq: Path, db_dir: Path) -> dict:
    """Run both phases once and return the figures."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fake_bot_api.py"), "--port", str(port),
                               "--token", TOKEN], stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip().split("=", 1)[1]
        control = Control(port)
        await control.call("group", {"chat_id": GROUP, "title": "值班群"})
        settings = dataclasses.replace(
            load_settings(ROOT / "settings.yaml", environ={"OPERATOR_IDS": str(OPERATOR)}), faq_path=faq,
            db_path=db_dir / f"bench-{label}.sqlite3", telegram_token=TOKEN, telegram_base_url=base_url,
            operator_chat_id=str(GROUP),
        )
        knowledge = KnowledgeBase(settings.faq_path, settings.intents_path, settings.messages_paths)
        texts, kinds = workload(knowledge, settings, citizens)
        app = build_application(settings, knowledge, limits=limits,
                                intervals=Intervals(outbox=1.0, sweep=60.0, reload=0, poll_timeout=1))
        await start(app)
        try:
            user = {"id": 99, "is_bot": False, "first_name": "Warm", "language_code": "zh-hans"}
            await control.call("text", {"messages": [{"user": user, "text": CONVERSATION[0]}]})  # loads jieba
            await control.until("sendMessage", 1, 30)
            base = await control.count("sendMessage")

            # phase 1: every citizen asks at once
            expected = base + 2 * kinds["answer"] + kinds["suggest"] + kinds["talk"] + 2 * kinds["handoff"]
            messages = [{"user": {"id": 100_000 + i, "is_bot": False, "first_name": f"Citizen {i}",
                                  "language_code": "zh-hans"}, "text": text} for i, text in enumerate(texts)]
            began = time.monotonic()
            await control.call("text", {"messages": messages})
            await control.until("sendMessage", expected, 600)
            phase1 = time.monotonic() - began

            # phase 2: every answered citizen presses "helpful"
            sent = await control.call("calls", query="?method=sendMessage")
            presses = []
            for call in sent:
                markup = call["params"].get("reply_markup") or {}
                rows = markup.get("inline_keyboard") or []
                data = [b["callback_data"] for row in rows for b in row]
                chat = call["params"]["chat_id"]
                if data and data[0].startswith("fb:y:") and chat >= 100_000:
                    user = {"id": chat, "is_bot": False, "first_name": "Citizen", "language_code": "zh-hans"}
                    presses.append({"user": user, "chat_id": chat, "message_id": call["result"]["message_id"],
                                    "data": data[0]})
            acks = await control.count("answerCallbackQuery")
            began = time.monotonic()
            await control.call("press", {"presses": presses})
            await control.until("answerCallbackQuery", acks + len(presses), 600)
            await control.until("sendMessage", expected + len(presses), 600)
            phase2 = time.monotonic() - began
            stats = await control.call("stats")
        finally:
            await stop(app)
    finally:
        server.terminate()
        server.wait(10)
    return {
        "limits": label, "citizens": citizens, "kinds": kinds, "presses": len(presses),
        "phase1_s": round(phase1, 2), "phase1_updates_per_s": round(citizens / phase1, 1),
        "phase2_s": round(phase2, 2), "phase2_updates_per_s": round(len(presses) / phase2, 1),
        "overall_updates_per_s": round((citizens + len(presses)) / (phase1 + phase2), 1),
        "bot_api_calls": stats["total"],
    }


def main() -> None:
    """Run the benchmark and print one line per setting (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=500, help="citizens with the limits off")
    parser.add_argument("--telegram-citizens", type=int, default=200,
                        help="citizens with Telegram's limits (their 20 handoffs stay within the group's burst)")
    parser.add_argument("--limits", choices=("off", "telegram", "both"), default="both")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq.yaml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=os.environ.get("FRONTDESK_LOG_LEVEL", "ERROR"))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    settings = [("off", NO_LIMITS, args.citizens), ("telegram", RateLimits(), args.telegram_citizens)]
    if args.limits != "both":
        settings = [s for s in settings if s[0] == args.limits]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, limits, citizens in settings:
            results.append(asyncio.run(run(citizens, limits, label, args.faq, Path(tmp))))
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for r in results:
        print(f"limits={r['limits']:<8} citizens={r['citizens']} {r['kinds']} presses={r['presses']}")
        print(f"  phase 1 (questions): {r['phase1_s']:6.2f} s  {r['phase1_updates_per_s']:7.1f} updates/s")
        print(f"  phase 2 (presses):   {r['phase2_s']:6.2f} s  {r['phase2_updates_per_s']:7.1f} updates/s")
        print(f"  overall:             {r['overall_updates_per_s']:7.1f} updates/s, {r['bot_api_calls']} Bot API calls")


if __name__ == "__main__":
    main()
