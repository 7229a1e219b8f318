"""The Telegram application's lifecycle: resources open at start-up and close at shutdown, never at import.

`post_init` opens the case store, builds the desk and the operators' desk, finds the operators' group,
registers the command menus and starts the background loops (outbox delivery, overdue escalation with
notices to the group, FAQ live reload); `post_stop` stops the loops and `post_shutdown` closes the store.
`start`/`stop` run the same lifecycle inside an existing event loop (tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import BadRequest, Forbidden
from telegram.ext import Application

from frontdesk.desk import Desk
from frontdesk.operators import OperatorDesk, load_operator_phrases
from frontdesk.outbox import OutboxWorker
from frontdesk.reload import KnowledgeWatcher, describe_problems, describe_reload
from frontdesk.store import open_store
from handlers.telegram_citizens import PLATFORM
from handlers.telegram_render import escape, split_text
from handlers.telegram_room import OperatorRoom
from handlers.telegram_sending import TelegramSender
from handlers.telegram_services import Services, services_of
from handlers.telegram_updates import UPDATES

log = logging.getLogger(__name__)

CITIZEN_COMMANDS = ("start", "help", "human", "status", "cancel", "lang")
OPERATOR_COMMANDS = ("queue", "take", "reply", "note", "faq", "transfer", "release", "resolve", "history", "mine",
                     "onduty", "offduty", "handover", "stats", "addfaq", "reload", "help")


class StartupError(Exception):
    """Start-up cannot continue; the message is one sentence for the person starting the bot."""


async def register_commands(bot, services: Services) -> None:
    """Register the command menus: the citizens' in Chinese (default) and English, the operators' in their group."""
    phrases = services.phrases
    for language in ("zh", "en"):
        commands = [BotCommand(name, phrases.say(f"cmd_{name}", language)) for name in CITIZEN_COMMANDS]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(),
                                  language_code=None if language == "zh" else language)
    if services.room is not None:
        language = services.room.language
        commands = [BotCommand(name, phrases.say(f"cmd_{name}", language)) for name in OPERATOR_COMMANDS]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(services.room.chat_id))


async def post_init(application: Application) -> None:
    """Open the store, build the desks, find the operators' group, register menus and start the loops."""
    services = services_of(application)
    services.stopping = False
    settings = services.settings
    bot = application.bot
    if services.store is None:
        services.store = await open_store(settings)
    services.desk = Desk(services.knowledge, services.store, settings)
    services.operators = OperatorDesk(services.store, settings, load_operator_phrases(),
                                      faq_provider=lambda: services.knowledge.current.faq,
                                      knowledge=services.knowledge)
    if settings.operator_chat_id:
        chat_id = int(settings.operator_chat_id)
        try:
            chat = await bot.get_chat(chat_id)
        except (BadRequest, Forbidden) as exc:
            raise StartupError(f"The bot cannot reach the operators' group OPERATOR_CHAT_ID={chat_id} "
                               f"({exc.message}); add the bot to that group and check the id.") from exc
        services.room = OperatorRoom(services, chat_id, forum=bool(chat.is_forum))
    await register_commands(bot, services)
    services.sender = TelegramSender(bot)
    worker = OutboxWorker(services.store, {PLATFORM: services.sender})
    services.tasks.append(asyncio.create_task(services.deliver_loop(worker, bot), name="telegram-outbox"))
    if services.room is not None:
        services.tasks.append(asyncio.create_task(services.sweep_loop(bot), name="telegram-escalation"))
    if services.intervals.reload > 0:
        reloaded, refused = _reload_notices(services, bot)
        services.watcher = KnowledgeWatcher(services.knowledge, on_reload=reloaded, on_problem=refused,
                                            interval=services.intervals.reload)
        services.watcher.start()


def _reload_notices(services: Services, bot):
    """Return the live-reload callbacks: log, and tell the operators' group what changed or what is wrong."""

    async def post(text: str) -> None:
        if services.room is not None:
            for part in split_text(text):
                await services.room.post(bot, escape(part))

    async def reloaded(knowledge) -> None:
        """Log a reload and tell the group."""
        log.warning("knowledge reloaded: %d FAQ entries in use", len(knowledge.faq.entries))
        ops = services.operators
        await post(describe_reload(knowledge, phrases=ops.phrases, language=ops.language))

    async def refused(problems) -> None:
        """Log a refused edit and tell the group what to fix."""
        log.warning("an edit of the data files was refused: %d problem(s)", len(problems))
        ops = services.operators
        await post(describe_problems(problems, services.knowledge.current, phrases=ops.phrases,
                                     language=ops.language))

    return reloaded, refused


async def post_stop(application: Application) -> None:
    """Stop the background loops while the bot can still talk to Telegram."""
    services = services_of(application)
    services.stopping = True
    services.kick_outbox()
    for task in services.tasks:
        task.cancel()
    for task in services.tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    services.tasks.clear()
    if services.watcher is not None:
        await services.watcher.stop()
        services.watcher = None


async def post_shutdown(application: Application) -> None:
    """Stop anything still running and close the store."""
    await post_stop(application)
    services = services_of(application)
    if services.store is not None and services._own_store:
        await services.store.close()
        services.store = None


async def start(application: Application, *, poll_interval: float = 0.0) -> None:
    """Run the application's start-up inside the current event loop, as run_polling would (tests, benchmarks)."""
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        services = services_of(application)
        await application.updater.start_polling(
            poll_interval=poll_interval, timeout=dt.timedelta(seconds=services.intervals.poll_timeout),
            allowed_updates=list(UPDATES),
        )
        await application.start()
    except BaseException:
        await stop(application)
        raise


async def stop(application: Application) -> None:
    """Stop polling and the application and run the stop/shutdown hooks, as run_polling does on exit."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
        if application.post_stop:
            await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown:
        await application.post_shutdown(application)
