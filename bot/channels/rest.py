"""REST channel with the shape of Rasa's: existing Rasa REST clients work against it."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from bot.channels.base import RouterSource
from bot.channels.json_input import checked_metadata, load_json
from bot.channels.limits import Guard, retry_after
from bot.conversation.messages import InboundMessage, InvalidMessage

logger = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_ID_CHARS = 128


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _optional_id(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise InvalidMessage(f"'{key}' must be a string")
    value = str(value).strip()
    if not value or len(value) > MAX_ID_CHARS:
        raise InvalidMessage(f"'{key}' must be 1 to {MAX_ID_CHARS} characters")
    return value


def parse_body(raw: bytes) -> InboundMessage:
    """Validate a webhook body; raises InvalidMessage with a reason for the client."""
    body = load_json(raw, what='{"sender": ..., "message": ...}')
    if not isinstance(body, dict):
        raise InvalidMessage("the body must be a JSON object")
    sender = _optional_id(body, "sender")
    if sender is None:
        raise InvalidMessage("'sender' is required")
    if "message" not in body:
        raise InvalidMessage("'message' is required")
    metadata = checked_metadata(body.get("metadata") or {})
    return InboundMessage(
        channel=CHANNEL,
        sender_id=sender,
        text=body["message"],
        message_id=_optional_id(body, "message_id"),
        metadata=metadata,
    )


ROUTER = web.AppKey("rest_router", RouterSource)
GUARD = web.AppKey("rest_guard", Guard)


def too_many(wait: float) -> web.Response:
    """429 with Retry-After: the same shape on every channel that answers over HTTP."""
    seconds = retry_after(wait)
    return web.json_response(
        {"error": "too many messages; wait before sending more", "code": "rate_limited", "retry_after": int(seconds)},
        status=429,
        headers={"Retry-After": seconds},
    )


async def webhook(request: web.Request) -> web.Response:
    """POST /webhooks/rest/webhook: one customer message in, the bot's replies out."""
    router = request.app[ROUTER]()
    if router is None:
        return web.json_response(
            {"error": "the assistant is starting; try again shortly"},
            status=503,
            headers={"Retry-After": "5"},
        )
    try:
        inbound = parse_body(await request.read())
        guard = request.app.get(GUARD)
        # Before the router: a message over the limit is neither stored nor read by the model.
        address = guard.address(request.remote, request.headers.get("X-Forwarded-For")) if guard else None
        wait = await guard.wait(CHANNEL, inbound.sender_id, address) if guard else 0
        if wait:
            return too_many(wait)
        replies = await router.handle(inbound)
    except InvalidMessage as invalid:
        return error(413 if invalid.too_large else 400, invalid.reason)
    return web.json_response(
        [{"recipient_id": inbound.sender_id, **reply.to_dict()} for reply in replies],
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
    )


async def status(_request: web.Request) -> web.Response:
    """GET /webhooks/rest/: Rasa's channel status check."""
    return web.json_response({"status": "ok"})


def add_routes(app: web.Application, router: RouterSource, guard: Guard | None = None) -> None:
    app[ROUTER] = router
    if guard is not None:
        app[GUARD] = guard
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_get("/webhooks/rest/", status)
