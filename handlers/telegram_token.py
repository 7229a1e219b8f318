"""Keep the bot token out of the logs (httpx and python-telegram-bot log request URLs, which contain it)."""

from __future__ import annotations

import logging

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
