"""Sending to Telegram without losing or doubling a message when Telegram is busy or flaky."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

import httpx
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.format import render
from bot.conversation.messages import OutboundMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ATTEMPTS = 5
# Flood control can ask for long pauses; past this we give up rather than hold the chat for ever.
MAX_WAIT_SECONDS = 60.0
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0)

# Failures that happen before Telegram has the request: sending again cannot make a duplicate.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _seconds(retry_after: int | float | timedelta) -> float:
    if isinstance(retry_after, timedelta):
        return retry_after.total_seconds()
    return float(retry_after)


def retry_wait(error: Exception, attempt: int) -> float | None:
    """Seconds to wait before sending again, or None when a retry could double the message."""
    if isinstance(error, RetryAfter):  # 429: Telegram refused it, and says when to come back
        return _seconds(error.retry_after)
    if isinstance(error, BadRequest) or not isinstance(error, NetworkError):
        return None  # the request itself is wrong (400, 403, 401...): sending again won't help
    cause = error.__cause__
    if isinstance(cause, _NOT_SENT):
        pass
    elif isinstance(cause, httpx.HTTPError) or isinstance(error, TimedOut):
        # A read timeout or dropped connection: Telegram may have sent it already. A duplicate
        # confuses a customer more than a logged failure (the reply is in the database anyway).
        return None
    # Otherwise Telegram answered 5xx: it did not take the message.
    return BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)]


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> T:
    """Run one Bot API call, retrying 429 and 5xx answers a bounded number of times."""
    attempt = 1
    while True:
        try:
            return await call()
        except Exception as error:
            wait = retry_wait(error, attempt)
            if wait is None or attempt >= MAX_ATTEMPTS or wait > MAX_WAIT_SECONDS:
                raise
            logger.warning("telegram %s failed (%s); retry %d in %.1f s", what, error, attempt, wait)
            attempt += 1
            await sleep(wait)


class DeliveredReplies:
    """Ids of stored replies already sent in this process.

    The router answers a repeated message id with the replies it stored the first time; they were
    sent then, so a redelivered update must not send them again. Bounded: duplicates arrive within
    seconds (webhook retries) or at a restart (when sending them again is the safe choice).
    """

    def __init__(self, size: int = 10_000) -> None:
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def all_sent(self, messages: Sequence[OutboundMessage]) -> bool:
        ids = [m.id for m in messages]
        return bool(ids) and all(i is not None and i in self._ids for i in ids)

    def add(self, message: OutboundMessage) -> None:
        if message.id is None:
            return
        self._ids[message.id] = None
        self._ids.move_to_end(message.id)
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)


class TelegramSender:
    def __init__(self, bot: Bot, *, sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.bot = bot
        self.delivered = DeliveredReplies()
        self._sleep = sleep

    async def call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        return await with_retries(call, what=what, sleep=self._sleep)

    async def send(
        self,
        chat_id: int,
        messages: Sequence[OutboundMessage],
        *,
        sent: Callable[[OutboundMessage], Awaitable[object]] | None = None,
    ) -> None:
        """Send replies in order; raises if one cannot be delivered (the rest are not sent).
        `sent` hears of each message once Telegram has it (to record the delivery)."""
        for message in messages:
            for part in render(message):
                await self.call(
                    "sendMessage",
                    # No parse_mode: plain text, shown exactly as written, nothing to escape.
                    lambda part=part: self.bot.send_message(chat_id, part.text, reply_markup=part.markup),
                )
            self.delivered.add(message)
            if sent is not None:
                await sent(message)
