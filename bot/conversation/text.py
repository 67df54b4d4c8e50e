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
    # Zero-width spaces, joiners and marks alone show nothing: the message is empty.
    if all(unicodedata.category(ch) == "Cf" or ch.isspace() for ch in cleaned):
        raise InvalidMessage("'message' is empty")
    return cleaned


def printable(value: str) -> str:
    """A name or locale as a database can store it: control characters and lone surrogates dropped."""
    return "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cs"))


def check_id(value: str, *, name: str) -> str:
    """A channel's id for a sender or a message, as given; InvalidMessage if a database can't
    store it as text: a lone surrogate (not encodable) or a control character (PostgreSQL
    refuses NUL)."""
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise InvalidMessage(f"'{name}' must not contain control characters or lone surrogates")
    return value
