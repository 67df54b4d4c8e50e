"""The shape of an update that arrives on the webhook, checked before python-telegram-bot reads it.

The library builds objects from whatever JSON it is given (a chat id that is a list, a text that
is a number), and those fail later, deep in the handling, as a 503 that makes Telegram retry. The
webhook is behind a secret, but a wrong body must still be a plain 400: the fields the channel
reads get their types checked here, every id must fit the database's 64-bit integers, and no text
may hold a lone surrogate (Telegram's own JSON never does; a database cannot store one).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.conversation.messages import InvalidMessage
from bot.storage.ids import fits_bigint

MESSAGE_KEYS = ("message", "edited_message")
# A message quoting a message with entities is about eight levels deep; Telegram nests no further.
UPDATE_DEPTH = 24


def _values_ok(value: Any) -> bool:
    """No lone surrogates in any text and no integer beyond 64 bits, anywhere in the update."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        if isinstance(item, int):
            if not fits_bigint(item):
                return False
        elif isinstance(item, str):
            if any(unicodedata.category(ch) == "Cs" for ch in item):
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _user_ok(user: Any) -> bool:
    return user is None or (isinstance(user, dict) and _is_int(user.get("id")))


def _message_ok(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    chat = message.get("chat")
    return (
        _is_int(message.get("message_id"))
        and _is_int(message.get("date"))
        and isinstance(chat, dict)
        and _is_int(chat.get("id"))
        and isinstance(chat.get("type"), str)
        and _user_ok(message.get("from"))
        and all(message.get(key) is None or isinstance(message[key], str) for key in ("text", "caption"))
    )


def check_update(data: Any) -> dict[str, Any]:
    """The update as given; InvalidMessage if it is not one the channel can read."""
    if not isinstance(data, dict) or not _is_int(data.get("update_id")):
        raise InvalidMessage("not an update")
    if not _values_ok(data):
        raise InvalidMessage("an id beyond 64 bits or a lone surrogate in the update")
    for key in MESSAGE_KEYS:
        if data.get(key) is not None and not _message_ok(data[key]):
            raise InvalidMessage(f"'{key}' is not a message")
    query = data.get("callback_query")
    if query is not None:
        if not isinstance(query, dict) or not isinstance(query.get("id"), str) or not _user_ok(query.get("from")):
            raise InvalidMessage("'callback_query' is not a button tap")
        if query.get("data") is not None and not isinstance(query["data"], str):
            raise InvalidMessage("'callback_query' is not a button tap")
        if query.get("message") is not None and not _message_ok(query["message"]):
            raise InvalidMessage("'callback_query' is not a button tap")
    return data
