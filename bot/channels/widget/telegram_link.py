"""GET /widget/telegram-link: the widget's "Continue on Telegram" deep link for this visitor.

The link is https://t.me/<bot>?start=<one-time signed token>; `issue` (the server's, over
bot/people/links.py) makes the token, and answers None while Telegram is not connected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.widget.identity import Identity, IdentityRefused, sender_id
from bot.channels.widget.routes import origin_allowed
from bot.conversation.messages import InvalidMessage

if TYPE_CHECKING:
    from bot.app.settings import Settings

# widget sender id -> the deep link, or None when Telegram is not there to continue on
IssueLink = Callable[[str], Awaitable[str | None]]
LINKS = web.AppKey("widget_telegram_links", tuple)


async def get_telegram_link(request: web.Request) -> web.Response:
    """GET /widget/telegram-link?visitor=... (or user_id and user_hash): {"url": ...}."""
    settings, issue = request.app[LINKS]
    if not origin_allowed(settings, request.headers.get("Origin")):
        return web.json_response({"error": "this website may not embed the chat widget"}, status=403)
    try:
        sender = sender_id(Identity.from_fields(request.query), settings.widget_identity_secret)
    except IdentityRefused as refused:
        return web.json_response({"error": refused.reason}, status=403)
    except InvalidMessage as invalid:
        return web.json_response({"error": invalid.reason}, status=400)
    url = await issue(sender)
    if url is None:
        return web.json_response({"error": "Telegram is not available"}, status=503)
    return web.json_response({"url": url}, headers={"Cache-Control": "no-store"})


def add_route(app: web.Application, settings: Settings, issue: IssueLink) -> None:
    app[LINKS] = (settings, issue)
    app.router.add_get("/widget/telegram-link", get_telegram_link)
