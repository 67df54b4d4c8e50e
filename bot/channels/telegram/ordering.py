"""One chat's Telegram updates handled one by one, in order; different chats at once."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of different chats run at once; one chat's updates run one by one, in order.

    The router also orders by sender, but only from the moment a message reaches it; this lock
    is taken as the update arrives, so a chat's replies also go out in order.
    """

    def __init__(self, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[Any, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[Any, int] = defaultdict(int)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else None
        self._waiting[key] += 1
        try:
            async with self._locks[key]:
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
