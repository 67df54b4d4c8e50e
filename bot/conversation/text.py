"""Normalising customer text before it is stored or understood."""

from __future__ import annotations

import unicodedata

from bot.conversation.messages import InvalidMessage

_KEEP = {"\n", "\t"}


def clean_text(text: object, *, max_chars: int) -> str:
    """Return text safe to store and parse, or raise InvalidMessage with a reason."""
    if not isinstance(text, str):
        raise InvalidMessage("'message' must be a string")
    if len(text) > max_chars:
        raise InvalidMessage(f"'message' is longer than {max_chars} characters", too_large=True)
    # Control characters (NUL, escape sequences...) carry no meaning for the assistant and break
    # terminals and some databases; format characters (RTL marks, ZWJ in emoji) are kept.
    cleaned = "".join(ch for ch in text if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cs", "Co"))
    cleaned = unicodedata.normalize("NFC", cleaned).strip()
    if not cleaned:
        raise InvalidMessage("'message' is empty")
    return cleaned
