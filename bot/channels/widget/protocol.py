"""The widget's JSON messages, over the WebSocket and the REST fallback alike.

Browser to server (a WebSocket text frame, or the body of POST /widget/messages, which adds the
identity fields `visitor`, `user_id`, `user_hash`):
    {"type": "message", "id": "<client-made id>", "text": "...", "metadata": {"language_hint": "fa"}}
The id is made once per message in the browser; a resend after a reconnect carries the same id,
and the router answers it from storage instead of a second time. `metadata` is optional; it may
hold only `language_hint`, the widget's interface language (one of LANGUAGE_HINTS), and reaches
the router as the inbound message's metadata, unchanged.

Server to browser:
    {"type": "replies", "reply_to": "<id>", "messages": [message, ...]}
    {"type": "messages", "messages": [message, ...]}          pushed: staff replies, markers
    {"type": "error", "code": "...", "message": "...", "reply_to": "<id>"|null, "retry": bool}
where a message is {"id", "from": "bot"|"agent"|"customer", "text", "buttons", "custom"}.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.channels.json_input import load_json
from bot.channels.widget.identity import Identity
from bot.conversation.messages import InboundMessage, InvalidMessage, OutboundMessage

CHANNEL = "widget"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
LANGUAGE_HINTS = ("en", "fa")


class InvalidFrame(InvalidMessage):
    """A message the widget cannot send on; `client_id` says which one, when it could be read."""

    def __init__(self, reason: str, *, client_id: str | None = None, too_large: bool = False) -> None:
        super().__init__(reason, too_large=too_large)
        self.client_id = client_id


@dataclass(frozen=True)
class WidgetMessage:
    client_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def inbound(self, sender_id: str) -> InboundMessage:
        return InboundMessage(
            channel=CHANNEL,
            sender_id=sender_id,
            text=self.text,
            message_id=self.client_id,
            metadata=dict(self.metadata),
        )


def _json_object(raw: str | bytes) -> dict[str, Any]:
    try:
        data = load_json(raw, what='{"type": "message", "id": ..., "text": ...}')
    except InvalidMessage as invalid:
        raise InvalidFrame(invalid.reason) from None
    if not isinstance(data, dict):
        raise InvalidFrame("the message must be a JSON object")
    return data


def _message(data: dict[str, Any]) -> WidgetMessage:
    client_id = data.get("id")
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise InvalidFrame("'id' must be 1 to 64 letters, digits, '-' or '_'")
    if data.get("type", "message") != "message":
        raise InvalidFrame(f"unknown message type {str(data.get('type'))[:40]!r}", client_id=client_id)
    text = data.get("text")
    if not isinstance(text, str):
        raise InvalidFrame("'text' must be a string", client_id=client_id)
    # Emptiness and length are the router's to judge (one rule for every channel).
    return WidgetMessage(client_id=client_id, text=text, metadata=_metadata(data.get("metadata"), client_id))


def _metadata(metadata: object, client_id: str) -> dict[str, Any]:
    """The message's metadata: nothing, or a known language hint."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict) or not set(metadata) <= {"language_hint"}:
        raise InvalidFrame("'metadata' may only hold 'language_hint'", client_id=client_id)
    hint = metadata.get("language_hint")
    if hint is not None and hint not in LANGUAGE_HINTS:
        raise InvalidFrame(f"'language_hint' must be one of {', '.join(LANGUAGE_HINTS)}", client_id=client_id)
    return dict(metadata)


def parse_frame(raw: str | bytes) -> WidgetMessage:
    """One WebSocket text frame; raises InvalidFrame with a reason for the browser."""
    return _message(_json_object(raw))


def parse_rest_body(raw: bytes) -> tuple[WidgetMessage, Identity]:
    """The body of POST /widget/messages: the message plus who sends it."""
    data = _json_object(raw)
    return _message(data), Identity.from_fields(data)


def message_json(message: OutboundMessage, *, author: str = "bot") -> dict[str, Any]:
    return {"id": message.id, "from": author, **message.to_dict()}


def replies_event(client_id: str, replies: list[OutboundMessage]) -> dict[str, Any]:
    return {"type": "replies", "reply_to": client_id, "messages": [message_json(r) for r in replies]}


def error_event(code: str, message: str, *, reply_to: str | None = None, retry: bool = False) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, "reply_to": reply_to, "retry": retry}


def error_code(invalid: InvalidMessage) -> str:
    return "too_large" if invalid.too_large else "invalid"
