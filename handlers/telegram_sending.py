"""Outgoing traffic to Telegram: the rate limits every request waits for, and the outbox's sender.

`FrontdeskRateLimiter` adds a per-private-chat limit to python-telegram-bot's AIORateLimiter (overall and
per-group limits, RetryAfter retries). `TelegramSender` delivers outbox items: escaped HTML, split under the
message limit, and Telegram's errors mapped to DeliveryError so the outbox knows whether to retry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter
from telegram.warnings import PTBDeprecationWarning

from frontdesk.outbox import DeliveryError
from handlers.telegram_render import escape, split_text

CHAT_LIMITERS_KEPT = 2048


@dataclass(frozen=True)
class RateLimits:
    """Outgoing traffic limits; the defaults are Telegram's published ones."""

    overall_per_second: float = 30.0  # all chats together
    group_per_minute: float = 20.0  # per group (the operators' group above all)
    private_per_second: float = 1.0  # per private chat, on average...
    private_burst: int = 3  # ...allowing a short burst (an answer and its feedback question)
    max_retries: int = 3  # times a request is retried after 429 RetryAfter before the error surfaces


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
