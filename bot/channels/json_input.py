"""JSON from the outside world, read with limits every channel shares.

Python's parser recurses once per nesting level: a body of 2,000 `[` raises RecursionError,
which no caller expects (a 500 on REST, a silent WebSocket). The nesting is counted by shape,
without recursion, before the parser sees the text.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.conversation.messages import InvalidMessage

MAX_DEPTH = 16  # a chat message is two or three levels deep; metadata gets a few more
MAX_METADATA_DEPTH = 8
MAX_METADATA_BYTES = 8 * 1024
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKETS = re.compile(r"[\[\]{}]")


def too_deep(text: str, limit: int) -> bool:
    """True if arrays and objects nest more than `limit` levels (brackets inside strings do not count)."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return True
    return False


def load_json(raw: str | bytes, *, what: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse `raw`; InvalidMessage (naming `what` was expected) if it is not JSON or nests too deeply."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise InvalidMessage(f"the body must be JSON in UTF-8: {what}") from None
    if too_deep(text, max_depth):
        raise InvalidMessage(f"the JSON nests more than {max_depth} levels deep") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise InvalidMessage(f"the body must be JSON: {what}") from None


def checked_metadata(value: object) -> dict[str, Any]:
    """A client's metadata: an object, at most MAX_METADATA_DEPTH deep and MAX_METADATA_BYTES long."""
    if not isinstance(value, dict):
        raise InvalidMessage("'metadata' must be a JSON object")
    encoded = json.dumps(value)  # ASCII: lone surrogates are escaped, never sent to a database as they are
    if len(encoded) > MAX_METADATA_BYTES:
        raise InvalidMessage(f"'metadata' is longer than {MAX_METADATA_BYTES} bytes", too_large=True)
    if too_deep(encoded, MAX_METADATA_DEPTH):
        raise InvalidMessage(f"'metadata' nests more than {MAX_METADATA_DEPTH} levels deep")
    return value
