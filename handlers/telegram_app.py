"""The Telegram application: built and wired in one place, with its resources opened in lifecycle hooks.

`build_application` registers every handler (citizens, operators, errors), the rate limiter and the
per-chat update ordering. `post_init` opens the case store, builds the desk and the operators' desk, finds the
operators' group, registers the command menus and starts the background loops (outbox delivery, overdue
escalation with notices to the group, FAQ live reload); `post_stop` stops the loops and `post_shutdown` closes
the store. `start`/`stop` run the same lifecycle inside an existing event loop (tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import traceback
import warnings
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

from aiolimiter import AsyncLimiter
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from frontdesk.desk import Desk
from frontdesk.escalation import Escalator, relay_notices
from frontdesk.knowledge import KnowledgeBase
from frontdesk.operators import OperatorDesk, load_operator_phrases
from frontdesk.outbox import DeliveryError, OutboxWorker
from frontdesk.phrases import Phrasebook, load_phrases
from frontdesk.reload import KnowledgeWatcher, describe_problems, describe_reload
from frontdesk.settings import ROOT, Settings
from frontdesk.store import open_store
from handlers.keyed_locks import KeyedLocks
from handlers.telegram_citizens import PLATFORM, AddressedToBot, CitizenHandlers, language_hint
from handlers.telegram_operators import BUTTON_PREFIX, GroupNotifier, OperatorHandlers, OperatorRoom
from handlers.telegram_render import CallbackCodec, escape, split_text

log = logging.getLogger(__name__)

TELEGRAM_PHRASES = ROOT / "messages-telegram.yaml"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SERVICES = "frontdesk"  # the key of the Services object in Application.bot_data
CITIZEN_COMMANDS = ("start", "help", "human", "status", "cancel", "lang")
OPERATOR_COMMANDS = ("queue", "take", "reply", "note", "faq", "transfer", "release", "resolve", "history", "mine",
                     "onduty", "offduty", "handover", "stats", "addfaq", "reload", "help")
UPDATES = ("message", "callback_query")
CHAT_LIMITERS_KEPT = 2048


@dataclass(frozen=True)
class RateLimits:
    """Outgoing traffic limits; the defaults are Telegram's published ones."""

    overall_per_second: float = 30.0  # all chats together
    group_per_minute: float = 20.0  # per group (the operators' group above all)
    private_per_second: float = 1.0  # per private chat, on average...
    private_burst: int = 3  # ...allowing a short burst (an answer and its feedback question)
    max_retries: int = 3  # times a request is retried after 429 RetryAfter before the error surfaces


@dataclass(frozen=True)
class Intervals:
    """How often the background loops run, in seconds."""

    outbox: float = 1.0  # delivery also starts at once when an operator replies
    sweep: float = 30.0  # overdue escalation and notices to the group
    reload: float = 2.0  # FAQ / intents / messages file watch; 0 turns live reload off
    poll_timeout: float = 30.0  # getUpdates long-poll timeout


class FrontdeskRateLimiter(AIORateLimiter):
    """AIORateLimiter (overall and per-group limits, RetryAfter retries) plus a per-private-chat limit."""

    def __init__(self, limits: RateLimits = RateLimits()):
        super().__init__(
            overall_max_rate=limits.overall_per_second, overall_time_period=1,
            group_max_rate=limits.group_per_minute, group_time_period=60, max_retries=limits.max_retries,
        )
        self.limits = limits
        self.chat_limiters: dict[int, AsyncLimiter] = {}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self.chat_limiters) > CHAT_LIMITERS_KEPT:
            for key, limiter in list(self.chat_limiters.items()):
                if key != chat_id and limiter.has_capacity(limiter.max_rate):
                    del self.chat_limiters[key]
        limiter = self.chat_limiters.get(chat_id)
        if limiter is None:
            burst = self.limits.private_burst
            limiter = AsyncLimiter(burst, burst / self.limits.private_per_second)
            self.chat_limiters[chat_id] = limiter
        return limiter

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        """Apply the per-private-chat limit, then AIORateLimiter's overall and group limits."""
        chat_id = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat_id = int(chat_id)
        if isinstance(chat_id, int) and chat_id > 0 and self.limits.private_per_second > 0:
            async with self._chat_limiter(chat_id):
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handle updates of different chats concurrently, and each chat's updates strictly in order."""

    def __init__(self, max_concurrent_updates: int = 256):
        super().__init__(max_concurrent_updates)
        self._chats = KeyedLocks()

    async def process_update(self, update: object, coroutine: Awaitable) -> None:
        """Wait for the chat's turn first and only then for a free slot, so a flooding chat never starves others."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._semaphore:
                await self.do_process_update(update, coroutine)
            return
        async with self._chats.hold(chat.id), self._semaphore:
            await self.do_process_update(update, coroutine)

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        """Run the update's handling (ordering and slots are taken care of by process_update)."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


TOKEN_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot", "telegram.request.BaseRequest",
                 "telegram.request.HTTPXRequest", "telegram.ext.Updater", "telegram.ext.Application")


class HideToken(logging.Filter):
    """A logging filter that replaces the bot token in a record's message (httpx logs every request URL)."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without the token; never drops a record."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        if self.token and self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        return True


def hide_token(token: str, handlers: list[logging.Handler] | tuple = ()) -> HideToken:
    """Keep the token out of the logs: filter the loggers that print request URLs, and the given handlers."""
    hiding = HideToken(token)
    for name in TOKEN_LOGGERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, HideToken)]:
            logger.removeFilter(old)
        logger.addFilter(hiding)
    for handler in handlers:
        handler.addFilter(hiding)
    return hiding


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class TelegramSender:
    """The outbox Sender for Telegram: escaped HTML, split under the limit, errors mapped for retrying."""

    def __init__(self, bot):
        self.bot = bot
        self.blocked_chats: set[str] = set()
        self.parts_sent: dict[tuple[str, str], tuple[int, int]] = {}  # (chat, text) -> parts sent, last message id

    async def send(self, chat_id: str, text: str) -> str:
        """Send the text to a chat and return the (last) message id; raise DeliveryError on failure.

        A text longer than one message goes out in parts; when a later part fails, the retry resumes after the
        parts already sent, so the citizen never gets a part twice (within this process's life).
        """
        key = (chat_id, text)
        parts = split_text(text)
        done, message_id = self.parts_sent.get(key, (0, None))
        try:
            for index in range(done, len(parts)):
                sent = await self.bot.send_message(int(chat_id), escape(parts[index]), parse_mode=ParseMode.HTML)
                message_id = sent.message_id
                self.parts_sent[key] = (index + 1, message_id)
            self.parts_sent.pop(key, None)
            return str(message_id)
        except Forbidden as exc:
            self.blocked_chats.add(chat_id)
            raise DeliveryError(f"Forbidden: {exc.message}", permanent=True, blocked=True) from exc
        except RetryAfter as exc:
            raise DeliveryError("RetryAfter", retry_after=_retry_seconds(exc)) from exc
        except BadRequest as exc:  # chat not found, and the like: retrying will not help
            raise DeliveryError(f"BadRequest: {exc.message}", permanent=True, blocked=False) from exc
        except NetworkError as exc:  # includes TimedOut
            raise DeliveryError(f"{type(exc).__name__}: {exc.message}") from exc


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
                await self._show_blocked(bot)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("outbox round failed: %s", type(exc).__name__)
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that coincides with a kick
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.intervals.outbox):
                    await self._wake.wait()

    async def _show_blocked(self, bot) -> None:
        """Update the cards of cases whose citizen turned out to have blocked the bot."""
        while self.sender.blocked_chats:
            chat_id = self.sender.blocked_chats.pop()
            case = await self.store.active_case_for(PLATFORM, chat_id)
            if case is not None and self.room is not None:
                await self.room.refresh_card(bot, case.number)

    async def sweep_loop(self, bot) -> None:
        """Escalate overdue cases, edit their cards, and post waiting notices in the group, every interval."""
        escalator = Escalator(self.store, self.settings)
        notifier = GroupNotifier(self.room, bot)
        while not self.stopping:
            try:
                sweep = await escalator.sweep()
                for case, _ in sweep.escalated:
                    await self.room.refresh_card(bot, case.number)
                await relay_notices(self.store, notifier, self.operators.render_notice, None)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("escalation sweep failed: %s", type(exc).__name__)
            await asyncio.sleep(self.intervals.sweep)


def services_of(application: Application) -> Services:
    """Return the Services object of an application built by build_application."""
    return application.bot_data[SERVICES]


def load_telegram_phrases() -> Phrasebook:
    """Load messages-telegram.yaml."""
    return load_phrases(TELEGRAM_PHRASES)


def build_application(
    settings: Settings,
    knowledge: KnowledgeBase,
    *,
    limits: RateLimits = RateLimits(),
    intervals: Intervals = Intervals(),
    store=None,
    max_concurrent_updates: int = 256,
) -> Application:
    """Build the Telegram application with every handler registered; resources open in post_init."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_base_url or DEFAULT_BASE_URL)
        .base_file_url(_file_url(settings.telegram_base_url or DEFAULT_BASE_URL))
        .rate_limiter(FrontdeskRateLimiter(limits))
        .concurrent_updates(PerChatUpdateProcessor(max_concurrent_updates))
        .connection_pool_size(max(8, min(max_concurrent_updates, 64)))
        .pool_timeout(10.0)
        .get_updates_read_timeout(intervals.poll_timeout + 10)
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    hide_token(settings.telegram_token)
    application = builder.build()
    services = Services(settings, knowledge, load_telegram_phrases(), intervals, store)
    application.bot_data[SERVICES] = services
    register_handlers(application, services)
    return application


def _file_url(base_url: str) -> str:
    """Derive the file download URL from the API URL (…/bot -> …/file/bot), as Telegram and local servers lay out."""
    head, _, tail = base_url.rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


def register_handlers(application: Application, services: Services) -> None:
    """Register every handler of the bot, citizens' and operators', in one place."""
    citizens = CitizenHandlers(services)
    operators = OperatorHandlers(services)
    settings = services.settings
    content = (filters.TEXT | filters.PHOTO | filters.Document.ALL | filters.VOICE | filters.VIDEO
               | filters.LOCATION | filters.Sticker.ALL | filters.AUDIO | filters.VIDEO_NOTE)
    if settings.operator_chat_id:
        group = filters.Chat(int(settings.operator_chat_id))
        application.add_handler(MessageHandler(group & filters.COMMAND, operators.on_command))
        application.add_handler(MessageHandler(group & filters.REPLY & ~filters.COMMAND & content,
                                               operators.on_reply))
        application.add_handler(CallbackQueryHandler(operators.on_button, pattern=f"^{BUTTON_PREFIX}"))
        others = filters.ChatType.GROUPS & ~group
    else:
        others = filters.ChatType.GROUPS
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & content, citizens.on_message))
    application.add_handler(MessageHandler(others & AddressedToBot() & content, citizens.on_message))
    application.add_handler(CallbackQueryHandler(citizens.on_choice))
    application.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler's failure (type, place and update id only) and apologise to whoever was waiting."""
    exc = context.error
    frames = traceback.extract_tb(exc.__traceback__) if exc is not None else []
    where = "; ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in frames[-4:]) or "-"
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("handler failed: %s at %s (update %s)", type(exc).__name__, where, update_id)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    services = services_of(context.application)
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        chat = update.effective_chat
        if services.room is not None and chat.id == services.room.chat_id:
            text = services.room.say("operator_error")
        else:
            user = update.effective_user
            lang = language_hint(user.language_code if user else None) or "zh"
            text = services.knowledge.current.phrases.say("error_apology", lang)
        await context.bot.send_message(chat.id, escape(text), parse_mode=ParseMode.HTML)


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


class StartupError(Exception):
    """Start-up cannot continue; the message is one sentence for the person starting the bot."""


async def _post_init(application: Application) -> None:
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


async def _post_stop(application: Application) -> None:
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


async def _post_shutdown(application: Application) -> None:
    """Stop anything still running and close the store."""
    await _post_stop(application)
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
