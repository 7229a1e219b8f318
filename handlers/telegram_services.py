"""What the Telegram handlers share (`Services`, kept in Application.bot_data), and its background loops.

Settings, knowledge and phrases are there from the start; the store, the desks, the operators' room and the
outbox sender once the application has started. The loops deliver the outbox and escalate overdue cases
(and keep the operators' group complete: missing cards, citizen lines it refused, notices).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from telegram.error import TelegramError
from telegram.ext import Application

from frontdesk.desk import Desk
from frontdesk.escalation import Escalator, relay_notices
from frontdesk.knowledge import KnowledgeBase
from frontdesk.operators import OperatorDesk
from frontdesk.outbox import OutboxWorker
from frontdesk.phrases import Phrasebook
from frontdesk.reload import KnowledgeWatcher
from frontdesk.settings import Settings
from handlers.telegram_render import CallbackCodec
from handlers.telegram_room import GroupNotifier, OperatorRoom
from handlers.telegram_sending import TelegramSender

log = logging.getLogger(__name__)

SERVICES = "frontdesk"  # the key of the Services object in Application.bot_data


@dataclass(frozen=True)
class Intervals:
    """How often the background loops run, in seconds."""

    outbox: float = 1.0  # delivery also starts at once when an operator replies
    sweep: float = 30.0  # overdue escalation, notices and cards missing from the group
    reload: float = 2.0  # FAQ / intents / messages file watch; 0 turns live reload off
    poll_timeout: float = 30.0  # getUpdates long-poll timeout


class Services:
    """What the handlers share: settings, knowledge and phrases now; store, desks and room once started."""

    def __init__(self, settings: Settings, knowledge: KnowledgeBase, phrases: Phrasebook, intervals: Intervals,
                 store=None):
        self.settings = settings
        self.knowledge = knowledge
        self.phrases = phrases
        self.intervals = intervals
        self.codec = CallbackCodec()
        self.store = store
        self._own_store = store is None
        self.desk: Desk | None = None
        self.operators: OperatorDesk | None = None
        self.room: OperatorRoom | None = None
        self.sender: TelegramSender | None = None
        self.tasks: list[asyncio.Task] = []
        self.watcher: KnowledgeWatcher | None = None
        self._wake = asyncio.Event()
        self.stopping = False

    def kick_outbox(self) -> None:
        """Start delivering now instead of at the next interval."""
        self._wake.set()

    async def deliver_loop(self, worker: OutboxWorker, bot) -> None:
        """Deliver due outbox items every interval, or at once when kicked."""
        while not self.stopping:
            self._wake.clear()
            try:
                await worker.run_once()
                await self._show_reach(bot, worker)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("outbox round failed: %s", type(exc).__name__)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that coincides with a kick
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.intervals.outbox):
                    await self._wake.wait()

    async def _show_reach(self, bot, worker: OutboxWorker) -> None:
        """Update the cards of cases whose citizen turned out to have blocked the bot, or to be reachable again."""
        self.sender.blocked_chats.clear()  # the worker names the cases themselves (a chat id is not a citizen)
        for number in worker.reach_changes():
            if self.room is None:
                continue
            try:
                await self.room.refresh_card(bot, number)
            except TelegramError as exc:  # the card catches up at the case's next change
                log.warning("cannot update the card of case %s: %s", number, type(exc).__name__)

    async def sweep_loop(self, bot) -> None:
        """Escalate overdue cases, edit their cards, post missing cards, refused citizen lines and notices."""
        escalator = Escalator(self.store, self.settings)
        notifier = GroupNotifier(self.room, bot)
        while not self.stopping:
            try:
                sweep = await escalator.sweep()
                for case, _ in sweep.escalated:
                    await self.room.refresh_card(bot, case.number)
                await self.room.post_missing_cards(bot)
                await self.room.post_waiting_lines(bot)
                await relay_notices(self.store, notifier, notifier.rendering(self.operators.render_notice), None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("escalation sweep failed: %s", type(exc).__name__)
            await asyncio.sleep(self.intervals.sweep)


def services_of(application: Application) -> Services:
    """Return the Services object of an application built by build_application."""
    return application.bot_data[SERVICES]
