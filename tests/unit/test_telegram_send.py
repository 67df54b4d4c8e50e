"""Sending with bounded retries: 429 and 5xx are retried, anything that may have arrived is not."""

from __future__ import annotations

import httpx
import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.send import MAX_ATTEMPTS, DeliveredReplies, retry_wait, with_retries
from bot.conversation.messages import OutboundMessage


def raised_from(error: Exception, cause: Exception) -> Exception:
    try:
        raise error from cause
    except Exception as raised:
        return raised


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


async def test_429_waits_as_told_then_sends_once():
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    call = Flaky(RetryAfter(3))
    assert await with_retries(call, what="sendMessage", sleep=sleep) == "sent"
    assert (call.calls, waits) == (2, [3.0])


async def test_5xx_and_refused_connections_are_retried_with_backoff():
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    call = Flaky(NetworkError("Internal Server Error"), raised_from(NetworkError("x"), httpx.ConnectError("refused")))
    assert await with_retries(call, what="sendMessage", sleep=sleep) == "sent"
    assert waits == [0.5, 1.0]


async def test_retries_are_bounded():
    async def sleep(_seconds):
        pass

    call = Flaky(*[NetworkError("Bad Gateway")] * 10)
    with pytest.raises(NetworkError):
        await with_retries(call, what="sendMessage", sleep=sleep)
    assert call.calls == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "error",
    [
        BadRequest("Message is too long"),
        Forbidden("bot was blocked by the user"),
        raised_from(TimedOut(), httpx.ReadTimeout("read")),  # Telegram may have sent it
        raised_from(NetworkError("x"), httpx.RemoteProtocolError("dropped")),
        RetryAfter(3600),  # longer than we hold a chat
    ],
)
async def test_what_may_have_arrived_or_cannot_succeed_is_not_retried(error):
    async def sleep(_seconds):
        raise AssertionError("no retry expected")

    call = Flaky(error)
    with pytest.raises(type(error)):
        await with_retries(call, what="sendMessage", sleep=sleep)
    assert call.calls == 1


def test_a_connect_timeout_is_safe_to_retry():
    assert retry_wait(raised_from(TimedOut(), httpx.ConnectTimeout("slow")), 1) == 0.5


def test_delivered_replies_remember_a_bounded_number_of_ids():
    delivered = DeliveredReplies(size=2)
    first, second, third = (OutboundMessage(text=t, id=i) for i, t in enumerate("abc", start=1))
    assert not delivered.all_sent([first])
    for message in (first, second, third):
        delivered.add(message)
    assert delivered.all_sent([second, third])
    assert not delivered.all_sent([first])  # forgotten: sending again is the safe side
    assert not delivered.all_sent([])
    assert not delivered.all_sent([OutboundMessage(text="unstored")])
