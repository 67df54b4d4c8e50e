"""The widget's JSON messages, over the WebSocket and the REST fallback alike.

Browser to server (a WebSocket text frame, or the body of POST /widget/messages, which adds the
identity fields `visitor`, `user_id`, `user_hash`):
    {"type": "message", "id": "<client-made id>", "text": "...", "metadata": {"language_hint": "fa"}}
`language_hint` (optional: the widget's data-lang or the page's lang) helps the router pick the
customer's language for a first message without letters.
The id is made once per message in the browser; a resend after a reconnect carries the same id,
and the router answers it from storage instead of a second time.

Server to browser:
    {"type": "replies", "reply_to": "<id>", "messages": [message, ...]}
    {"type": "messages", "messages": [message, ...]}          pushed: staff replies, markers
    {"type": "error", "code": "...", "message": "...", "reply_to": "<id>"|null, "retry": bool}
where a message is {"id", "from": "bot"|"agent"|"customer", "text", "buttons", "custom"}.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.channels.widget.identity import Identity
from bot.conversation.messages import InboundMessage, InvalidMessage, OutboundMessage

CHANNEL = "widget"
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}([_-][A-Za-z0-9]{1,8}){0,2}")


class InvalidFrame(InvalidMessage):
    """A message the widget cannot send on; `client_id` says which one, when it could be read."""

    def __init__(self, reason: str, *, client_id: str | None = None, too_large: bool = False) -> None:
        super().__init__(reason, too_large=too_large)
        self.client_id = client_id


@dataclass(frozen=True)
class WidgetMessage:
    client_id: str
    text: str
    language_hint: str | None = None

    def inbound(self, sender_id: str) -> InboundMessage:
        metadata = {"language_hint": self.language_hint} if self.language_hint else {}
        return InboundMessage(
            channel=CHANNEL, sender_id=sender_id, text=self.text, message_id=self.client_id, metadata=metadata
        )


def _json_object(raw: str | bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InvalidFrame('the message must be JSON: {"type": "message", "id": ..., "text": ...}') from None
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
    return WidgetMessage(client_id=client_id, text=text, language_hint=_language_hint(data))


def _language_hint(data: dict[str, Any]) -> str | None:
    """The page's language, if the widget sent a plausible one ("fa", "en-GB"); else None."""
    metadata = data.get("metadata")
    hint = metadata.get("language_hint") if isinstance(metadata, dict) else None
    return hint if isinstance(hint, str) and _LANGUAGE_TAG.fullmatch(hint) else None


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
