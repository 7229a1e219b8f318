"""Incoming updates: the kinds the bot asks Telegram for, and the order they are handled in."""

from __future__ import annotations

from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from handlers.keyed_locks import KeyedLocks

UPDATES = ("message", "callback_query")


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
