"""The Telegram application: built and wired in one place, with its resources opened in lifecycle hooks.

`build_application` registers every handler (citizens, operators, errors), the rate limiter
(`telegram_sending`), the per-chat update ordering (`telegram_updates`) and the lifecycle hooks
(`telegram_lifecycle`), and puts the shared `Services` (`telegram_services`) in bot_data. The names callers
need (`start`, `stop`, `StartupError`, `hide_token`, ...) are importable from here.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from pathlib import Path

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from frontdesk.knowledge import KnowledgeBase
from frontdesk.phrases import Phrasebook, load_phrases
from frontdesk.settings import ROOT, Settings
from handlers.telegram_cards import BUTTON_PREFIX
from handlers.telegram_citizens import CITIZEN_MESSAGES, AddressedToBot, CitizenHandlers, language_hint
from handlers.telegram_lifecycle import (
    CITIZEN_COMMANDS,
    OPERATOR_COMMANDS,
    StartupError,
    post_init,
    post_shutdown,
    post_stop,
    register_commands,
    start,
    stop,
)
from handlers.telegram_operators import OperatorHandlers
from handlers.telegram_render import escape
from handlers.telegram_sending import FrontdeskRateLimiter, RateLimits, TelegramSender
from handlers.telegram_services import SERVICES, Intervals, Services, services_of
from handlers.telegram_token import HideToken, hide_token
from handlers.telegram_updates import UPDATES, PerChatUpdateProcessor

__all__ = [
    "CITIZEN_COMMANDS",
    "OPERATOR_COMMANDS",
    "UPDATES",
    "FrontdeskRateLimiter",
    "HideToken",
    "Intervals",
    "PerChatUpdateProcessor",
    "RateLimits",
    "Services",
    "StartupError",
    "TelegramSender",
    "build_application",
    "hide_token",
    "load_telegram_phrases",
    "on_error",
    "register_commands",
    "register_handlers",
    "services_of",
    "start",
    "stop",
]

log = logging.getLogger(__name__)

TELEGRAM_PHRASES = ROOT / "messages-telegram.yaml"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_LIMITS = RateLimits()  # Telegram's published limits
DEFAULT_INTERVALS = Intervals()


def load_telegram_phrases() -> Phrasebook:
    """Load messages-telegram.yaml."""
    return load_phrases(TELEGRAM_PHRASES)


def build_application(
    settings: Settings,
    knowledge: KnowledgeBase,
    *,
    limits: RateLimits = DEFAULT_LIMITS,
    intervals: Intervals = DEFAULT_INTERVALS,
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
        .post_init(post_init)
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
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
    application.add_handler(MessageHandler(filters.ChatType.PRIVATE & CITIZEN_MESSAGES, citizens.on_message))
    application.add_handler(MessageHandler(others & AddressedToBot() & CITIZEN_MESSAGES, citizens.on_message))
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
