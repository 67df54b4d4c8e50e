"""Telegram with several replicas: one polls (a lease), any takes webhook updates (once each)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.app.cluster.node import PREFIX, Node

if TYPE_CHECKING:
    # python-telegram-bot takes 0.6 s to import: only a server with Telegram on loads it.
    from bot.channels.telegram.channel import TelegramChannel

logger = logging.getLogger(__name__)

# The poller renews its lease every third of this; another replica takes over at most this
# long after the poller died.
POLL_LEASE_SECONDS = 24
# An update being handled is held this long against a second delivery (then it may be retried).
UPDATE_BUSY_SECONDS = 120
UPDATE_DONE_SECONDS = 24 * 3600


def lease_polling(node: Node, channel: TelegramChannel) -> None:
    """Only the replica holding the lease polls Telegram; the others still send (pushes)."""
    channel.polls = False

    async def gain() -> None:
        await channel.set_polling(True)

    async def lose() -> None:
        await channel.set_polling(False)

    node.spawn(node.while_leased("telegram-poller", ttl_seconds=POLL_LEASE_SECONDS, on_gain=gain, on_loss=lose))


def once_per_update(node: Node):
    """Middleware: a webhook update that reaches two replicas is handled by one. The second gets
    200 once the first has handled it, or 503 Retry-After while it is at it (if it fails,
    Telegram's retry is handled again)."""
    from bot.channels.telegram.channel import WEBHOOK_PATH

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path != WEBHOOK_PATH or request.method != "POST":
            return await handler(request)
        try:
            update_id = json.loads(await request.read()).get("update_id")
        except (ValueError, AttributeError):
            update_id = None
        if not isinstance(update_id, int):
            return await handler(request)
        key = f"{PREFIX}telegram-update:{update_id}"
        if not await node.redis.set(key, "busy", nx=True, ex=UPDATE_BUSY_SECONDS):
            if await node.redis.get(key) == b"done":
                return web.json_response({"ok": True})
            return web.json_response(
                {"error": "this update is being handled"}, status=503, headers={"Retry-After": "5"}
            )
        response = None
        try:
            response = await handler(request)
        finally:
            if response is not None and response.status == 200:
                await node.redis.set(key, "done", ex=UPDATE_DONE_SECONDS)
            else:
                await node.redis.delete(key)
        return response

    return middleware
