"""The Telegram end-to-end harness: the real Application against the local fake Bot API server, with shortcuts."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from pathlib import Path

import pytest
from fake_bot_api import FakeBotApi

from frontdesk.knowledge import KnowledgeBase
from frontdesk.settings import load_settings
from handlers.telegram_app import Intervals, RateLimits, build_application, services_of, start, stop

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token"
GROUP = -1001234567890
OPERATOR = FakeBotApi.user(9001, "Wang", language_code="zh-hans")
OUTSIDER = FakeBotApi.user(9002, "Visitor", language_code="en")
CITIZEN = FakeBotApi.user(1001, "张三", language_code="zh-hans")
CITIZEN_EN = FakeBotApi.user(1002, "Alice", "Smith", language_code="en")
UNMATCHED = "我想问一下停车场收费标准"
HUGE = "99999999999999999999"  # passes isdigit() but does not fit SQLite's INTEGER
YELLOW_FAQ = """\
version: 1
entries:
  - id: health-code-yellow
    category: 健康码
    questions:
      - 健康码变黄了怎么办
      - My health code turned yellow, what should I do?
    answer: {zh: "黄码请按提示完成三天两检。", en: "With a yellow code take two tests in three days."}
"""


async def eventually(check, timeout: float = 5.0, what: str = "condition"):
    """Poll an async check until it returns something truthy (store writes land just after the API call)."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout}s")
        await asyncio.sleep(0.02)


def knowledge_fixture(faq: str):
    """Return a module-scoped `knowledge` fixture: a KnowledgeBase on a temporary file holding `faq`."""

    @pytest.fixture(scope="module")
    def knowledge(tmp_path_factory):
        path = tmp_path_factory.mktemp("faq") / "faq.yaml"
        path.write_text(faq, encoding="utf-8")
        settings = load_settings(ROOT / "settings.yaml", environ={})
        return KnowledgeBase(path, settings.intents_path, settings.messages_paths)

    return knowledge


def handler_errors(caplog) -> list[str]:
    """Return the handler failures the application logged."""
    return [r.getMessage() for r in caplog.records if r.name == "handlers.telegram_app" and r.levelno >= logging.ERROR]


class Bot:
    """A running bot against a fake Bot API server, with shortcuts for what the tests look at."""

    def __init__(self, api: FakeBotApi, app, group: dict | None = None):
        self.api = api
        self.app = app
        self.group = group

    @property
    def store(self):
        """Return the bot's case store."""
        return services_of(self.app).store

    async def said_to(self, user: dict, contains: str, **kw):
        """Wait for a successful sendMessage to the user's chat containing the text."""
        return await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == user["id"] and contains in c.params["text"], **kw)

    async def posted(self, contains: str, **kw):
        """Wait for a successful sendMessage to the operators' group containing the text."""
        return await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == GROUP and contains in c.params["text"], **kw)

    async def handoff(self, user: dict = CITIZEN, text: str = UNMATCHED) -> dict:
        """Have the citizen write something the FAQ cannot answer; return the case card message."""
        seen = len(self.api.calls)
        self.api.send_text(user, text)
        call = await self.api.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == GROUP and "op:take:" in str(c.params.get("reply_markup")),
            after=seen)
        return call.result

    def buttons(self, message: dict) -> list[str]:
        """Return the callback data of a sent message's buttons, as the server now has the message."""
        current = self.api.messages[(message["chat"]["id"], message["message_id"])]
        markup = current.get("reply_markup") or {"inline_keyboard": []}
        return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


async def running(tmp_path, knowledge, *, bot_class: type[Bot] = Bot, operators: str = "9001", forum: bool = False,
                  limits: RateLimits | None = None, claim_limits: dict | None = None, reload: float = 0,
                  api: FakeBotApi | None = None) -> Bot:
    """Start a bot on tmp_path/bot.sqlite3 against a new fake Bot API server (or `api`: a restart)."""
    api = api or await FakeBotApi(TOKEN).start()
    group = api.add_group(GROUP, "值班群", forum=forum)
    settings = load_settings(ROOT / "settings.yaml", environ={"OPERATOR_IDS": operators})
    queue = dataclasses.replace(settings.queue, claim_limits=claim_limits or settings.queue.claim_limits)
    settings = dataclasses.replace(
        settings, faq_path=knowledge.faq_path, db_path=tmp_path / "bot.sqlite3", telegram_token=TOKEN,
        telegram_base_url=api.base_url, operator_chat_id=str(GROUP), queue=queue,
    )
    limits = limits or RateLimits(private_per_second=50, private_burst=50)
    app = build_application(settings, knowledge, limits=limits,
                            intervals=Intervals(outbox=0.2, sweep=0.2, reload=reload, poll_timeout=1))
    await start(app)
    return bot_class(api, app, group)


async def stopped(bot: Bot) -> None:
    """Stop the bot and its fake Bot API server."""
    await asyncio.wait_for(stop(bot.app), 15)  # a shutdown that hangs fails the test instead of the run
    await bot.api.stop()


def bot_fixture(bot_class: type[Bot] = Bot, **options):
    """Return a fixture that runs a `bot_class` (started with `options`, see `running`) for one test."""

    @pytest.fixture
    async def bot(tmp_path, knowledge):
        started = await running(tmp_path, knowledge, bot_class=bot_class, **options)
        yield started
        await stopped(started)

    return bot
