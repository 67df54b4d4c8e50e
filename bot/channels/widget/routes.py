"""The website chat widget: its script, a sample shop page (`/`, in Persian `/fa`), a WebSocket and a REST fallback.

A shop adds one `<script src="https://<this server>/widget.js">` tag; everything else (the
script, its CSS, the conversation) comes from this server. The browser talks over
`/widget/ws`; where WebSockets are blocked it falls back to `POST /widget/messages` and polls
`GET /widget/history`. The JSON shapes are in protocol.py. The server passes in the router and
the history reader: the channel opens no database session itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from bot.channels.base import ChannelRegistry, RouterSource
from bot.channels.limits import Guard, LimiterUnavailable, SocketCounter, retry_after
from bot.channels.widget.history import MAX_HISTORY_MESSAGES, HistoryReader, history_json
from bot.channels.widget.identity import Identity, IdentityRefused, sender_id
from bot.channels.widget.protocol import (
    CHANNEL,
    InvalidFrame,
    error_code,
    error_event,
    message_json,
    parse_frame,
    parse_rest_body,
    replies_event,
)
from bot.conversation.messages import InvalidMessage, OutboundMessage

if TYPE_CHECKING:
    from bot.app.settings import Settings

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_FRAME_BYTES = 64 * 1024  # a 4000-character message is at most 16 KiB of UTF-8
CLOSE_IDENTITY_REFUSED = 4403  # application close codes are 4000-4999
CLOSE_BAD_REQUEST = 4400
CLOSE_IDLE = 4408  # the widget reconnects when the visitor next sends something
SLOW_DOWN = "you are sending messages too fast; wait a moment before sending more"
STARTING = "the assistant is starting; your message will be sent again in a moment"
BUSY = "the chat is busy; your message will be sent again in a moment"


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


async def _send(ws: web.WebSocketResponse, event: dict[str, Any]) -> bool:
    """False when the socket has gone: the browser resends unanswered messages on reconnect."""
    if ws.closed:
        return False
    try:
        await ws.send_str(_dumps(event))
    except (ConnectionError, RuntimeError):
        return False
    return True


class WidgetChannel:
    """Pushes messages to the widgets a visitor has open (one per browser tab)."""

    name = CHANNEL

    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[web.WebSocketResponse]] = defaultdict(set)

    def attach(self, sender: str, ws: web.WebSocketResponse) -> None:
        self._sockets[sender].add(ws)

    def detach(self, sender: str, ws: web.WebSocketResponse) -> None:
        sockets = self._sockets.get(sender)
        if sockets is not None:
            sockets.discard(ws)
            if not sockets:
                del self._sockets[sender]

    async def deliver(self, sender_id: str, messages: Sequence[OutboundMessage]) -> None:
        """Push to every open widget of this visitor.

        With no widget open this does nothing and is not an error: whoever sends a message stores
        it first, and the widget shows it from GET /widget/history on its next load (or its next
        poll, when it is on the REST fallback). Pushed messages are shown as from the team unless
        `custom["from"]` says otherwise; `custom={"event": "agent_joined"|"agent_left", "name": ...}`
        is drawn as a "a team member joined/left" marker.
        """
        event = {
            "type": "messages",
            "messages": [message_json(m, author=(m.custom or {}).get("from", "agent")) for m in messages],
        }
        for ws in list(self._sockets.get(sender_id, ())):
            await _send(ws, event)

    async def close_all(self) -> None:
        for sockets in list(self._sockets.values()):
            for ws in list(sockets):
                await ws.close(code=1001, message=b"server shutting down")


@dataclass(frozen=True)
class Widget:
    """What the widget's routes need, given by the server."""

    settings: Settings
    channel: WidgetChannel
    router: RouterSource
    history: HistoryReader
    guard: Guard | None = None  # rate limits and socket caps; None: none
    sockets: SocketCounter = field(default_factory=SocketCounter)


WIDGET = web.AppKey("widget", Widget)


def _settings(request: web.Request) -> Settings:
    return request.app[WIDGET].settings


def origin_allowed(settings: Settings, origin: str | None) -> bool:
    """Browsers send Origin; other clients (curl, tests) do not and are not a CSRF risk."""
    allowed = settings.widget_allowed_origins
    return origin is None or "*" in allowed or origin.rstrip("/") in allowed


def _json(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _refused(refused: IdentityRefused) -> web.Response:
    return _json(403, {"error": refused.reason, "code": "identity_refused"})


def _invalid(invalid: InvalidMessage) -> web.Response:
    return _json(413 if invalid.too_large else 400, {"error": invalid.reason, "code": error_code(invalid)})


def _forbidden_origin() -> web.Response:
    return _json(403, {"error": "this website may not embed the chat widget", "code": "origin_refused"})


def _sender(request: web.Request, fields: Mapping[str, object]) -> str:
    return sender_id(Identity.from_fields(fields), _settings(request).widget_identity_secret)


async def _wait(widget: Widget, sender: str, address: str | None) -> int:
    """Whole seconds this visitor must wait before the next message (0: send it now)."""
    if widget.guard is None:
        return 0
    wait = await widget.guard.wait(CHANNEL, sender, address)
    return int(retry_after(wait)) if wait else 0


def _too_many(code: str, message: str, wait: int) -> web.Response:
    return web.json_response(
        {"error": message, "code": code, "retry_after": wait},
        status=429,
        headers={"Retry-After": str(wait)},
        dumps=_dumps,
    )


async def _answer_frame(
    app: web.Application, ws: web.WebSocketResponse, sender: str, address: str | None, raw: str
) -> None:
    try:
        message = parse_frame(raw)
    except InvalidFrame as invalid:
        await _send(ws, error_event(error_code(invalid), invalid.reason, reply_to=invalid.client_id))
        return
    router = app[WIDGET].router()
    if router is None:
        await _send(ws, error_event("starting", STARTING, reply_to=message.client_id, retry=True))
        return
    try:
        wait = await _wait(app[WIDGET], sender, address)
    except LimiterUnavailable:  # as the REST fallback's 503 Retry-After: the widget sends it again
        await _send(ws, error_event("busy", BUSY, reply_to=message.client_id, retry=True))
        return
    if wait:
        # The socket stays open: the visitor may send again after the wait.
        await _send(ws, {**error_event("rate_limited", SLOW_DOWN, reply_to=message.client_id), "retry_after": wait})
        return
    try:
        replies = await router.handle(message.inbound(sender))
    except InvalidMessage as invalid:
        await _send(ws, error_event(error_code(invalid), invalid.reason, reply_to=message.client_id))
        return
    except Exception:
        logger.exception("widget message from %s failed", sender)
        text = "Sorry, something went wrong on our side; your message will be sent again shortly."
        await _send(ws, error_event("internal", text, reply_to=message.client_id, retry=True))
        return
    await _send(ws, replies_event(message.client_id, replies))


def _address(request: web.Request) -> str | None:
    guard = request.app[WIDGET].guard
    return guard.address(request.remote, request.headers.get("X-Forwarded-For")) if guard else request.remote


def _socket_caps(widget: Widget, sender: str, address: str | None) -> list[tuple[str, int]]:
    if widget.guard is None:
        return []
    limits = widget.guard.limits
    caps = [(f"visitor:{sender}", limits.sockets_per_visitor)]
    if address:
        caps.append((f"address:{address}", limits.sockets_per_address))
    return caps


async def websocket(request: web.Request) -> web.StreamResponse:
    """GET /widget/ws?visitor=...[&user_id=...&user_hash=...]: one browser tab's conversation."""
    if not origin_allowed(_settings(request), request.headers.get("Origin")):
        return _forbidden_origin()
    widget = request.app[WIDGET]
    try:
        sender: str | None = _sender(request, request.query)
        refusal: tuple[str, str, int, bytes] | None = None
    except IdentityRefused as refused:
        sender, refusal = None, ("identity_refused", refused.reason, CLOSE_IDENTITY_REFUSED, b"identity refused")
    except InvalidMessage as invalid:
        sender, refusal = None, ("invalid", invalid.reason, CLOSE_BAD_REQUEST, b"bad request")
    caps = _socket_caps(widget, sender, _address(request)) if sender else []
    # Refused before the upgrade: the browser counts a failed connect and falls back to REST.
    if caps and not widget.sockets.open(caps):
        return _too_many("too_many_connections", "too many chat windows are open; close one and try again", 60)
    try:
        return await _converse(request, sender, refusal)
    finally:
        widget.sockets.close(key for key, _cap in caps)


async def _converse(
    request: web.Request, sender: str | None, refusal: tuple[str, str, int, bytes] | None
) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_FRAME_BYTES)
    await ws.prepare(request)
    if sender is None or refusal is not None:
        code, reason, close_code, close_message = refusal or ("invalid", "bad request", CLOSE_BAD_REQUEST, b"")
        await _send(ws, error_event(code, reason))
        await ws.close(code=close_code, message=close_message)
        return ws
    widget = request.app[WIDGET]
    idle = widget.guard.limits.idle_seconds if widget.guard else None
    widget.channel.attach(sender, ws)
    answering: set[asyncio.Task] = set()
    try:
        while not ws.closed:
            try:
                frame = await asyncio.wait_for(ws.receive(), idle)
            except asyncio.TimeoutError:
                await ws.close(code=CLOSE_IDLE, message=b"idle")
                break
            if frame.type == WSMsgType.TEXT:
                # Answer in a task so the socket keeps reading; the router keeps the order.
                task = asyncio.create_task(_answer_frame(request.app, ws, sender, _address(request), frame.data))
                answering.add(task)
                task.add_done_callback(answering.discard)
            elif frame.type == WSMsgType.BINARY:
                await _send(ws, error_event("invalid", "send messages as JSON text"))
            elif frame.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                break
    finally:
        widget.channel.detach(sender, ws)
    return ws


async def post_message(request: web.Request) -> web.Response:
    """POST /widget/messages: the fallback when the WebSocket cannot connect."""
    if not origin_allowed(_settings(request), request.headers.get("Origin")):
        return _forbidden_origin()
    try:
        message, identity = parse_rest_body(await request.read())
        sender = sender_id(identity, _settings(request).widget_identity_secret)
    except IdentityRefused as refused:
        return _refused(refused)
    except InvalidMessage as invalid:
        return _invalid(invalid)
    router = request.app[WIDGET].router()
    if router is None:
        return web.json_response(
            {"error": "the assistant is starting; try again shortly", "code": "starting"},
            status=503,
            headers={"Retry-After": "5"},
        )
    wait = await _wait(request.app[WIDGET], sender, _address(request))
    if wait:
        return _too_many("rate_limited", SLOW_DOWN, wait)
    try:
        replies = await router.handle(message.inbound(sender))
    except InvalidMessage as invalid:
        return _invalid(invalid)
    return _json(200, replies_event(message.client_id, replies))


async def get_history(request: web.Request) -> web.Response:
    """GET /widget/history?visitor=...: the latest conversation, so a returning visitor continues it."""
    if not origin_allowed(_settings(request), request.headers.get("Origin")):
        return _forbidden_origin()
    try:
        sender = _sender(request, request.query)
    except IdentityRefused as refused:
        return _refused(refused)
    except InvalidMessage as invalid:
        return _invalid(invalid)
    stored = await request.app[WIDGET].history(sender, MAX_HISTORY_MESSAGES)
    return _json(200, {"messages": history_json(stored)})


async def preflight(_request: web.Request) -> web.Response:
    """CORS preflight for the JSON POST from a shop's page on another origin."""
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


async def _cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Let shop pages on other origins read the widget's answers, errors included."""
    if not request.path.startswith("/widget"):
        return
    settings = _settings(request)
    origin = request.headers.get("Origin")
    if "*" in settings.widget_allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = "*"
    elif origin and origin_allowed(settings, origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"


def _static(name: str, content_type: str):
    path = STATIC_DIR / name

    async def serve(_request: web.Request) -> web.FileResponse:
        # no-cache: browsers revalidate (ETag), so a new widget version reaches every shop page.
        return web.FileResponse(path, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})

    return serve


async def _close_sockets(app: web.Application) -> None:
    # Open WebSockets would hold shutdown for its whole timeout; browsers reconnect later.
    await app[WIDGET].channel.close_all()


def add_routes(
    app: web.Application,
    settings: Settings,
    *,
    channels: ChannelRegistry,
    router: RouterSource,
    history: HistoryReader,
    guard: Guard | None = None,
) -> WidgetChannel:
    """Serve the widget; its channel registers for pushes (staff replies) in `channels`."""
    channel = WidgetChannel()
    app[WIDGET] = Widget(settings, channel, router, history, guard)
    channels.register(channel)
    app.router.add_get("/", _static("demo.html", "text/html; charset=utf-8"))
    app.router.add_get("/fa", _static("demo_fa.html", "text/html; charset=utf-8"))  # the same shop in Persian
    app.router.add_get("/widget.js", _static("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget/ws", websocket)
    app.router.add_post("/widget/messages", post_message)
    app.router.add_route("OPTIONS", "/widget/messages", preflight)
    app.router.add_get("/widget/history", get_history)
    app.on_response_prepare.append(_cors_headers)
    app.on_shutdown.append(_close_sockets)
    return channel
