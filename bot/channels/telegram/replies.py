"""The Telegram channel's own few replies (a photo, an edit, a long message, an expired or outdated
button), worded per language in content/telegram.yml (`replies:`). They are sent before or without
the assistant, so they follow the user's Telegram `language_code` ("fa", "fa-IR"); everything the
assistant says follows the customer's language instead (bot/conversation/language.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ENGLISH = "en"
# The English wording when telegram.yml has none (a channel built without content, as in tests).
DEFAULT_REPLIES = {
    "unreadable": "Sorry, I can only read text messages for now. Please type your question.",
    "edited": "Sorry, I can't follow edits to earlier messages. Please send your corrected question as a new message.",
    "too_long": "Sorry, that message is too long for me. Please send it in shorter parts.",
    "expired": "This button has expired. Please type your question.",
    "moved_on": "That question has moved on. Please answer the latest one, or type your question.",
}


@dataclass(frozen=True)
class ChannelReplies:
    # language code -> reply key -> text; English is always there and stands in for the others.
    by_language: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: {ENGLISH: DEFAULT_REPLIES})

    def reply(self, locale: str | None, key: str) -> str:
        """The reply `key` for a user whose Telegram is in `locale`, English when it has none."""
        language = (locale or "").lower().replace("_", "-").split("-")[0]
        return self.by_language.get(language, self.by_language[ENGLISH])[key]


def load_replies(path: Path) -> ChannelReplies:
    """Read telegram.yml's `replies`: each language over the English, English over the defaults."""
    data = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("replies") or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path.name}: replies must map languages to replies")
    english = {**DEFAULT_REPLIES, **_texts(path, ENGLISH, data.get(ENGLISH))}
    by_language = {ENGLISH: english}
    for language, texts in data.items():
        if str(language) != ENGLISH:
            by_language[str(language)] = {**english, **_texts(path, str(language), texts)}
    return ChannelReplies(by_language)


def _texts(path: Path, language: str, texts: object) -> dict[str, str]:
    if texts is None:
        return {}
    if not isinstance(texts, dict):
        raise ValueError(f"{path.name}: replies.{language} must map replies to their wording")
    unknown = sorted(set(map(str, texts)) - set(DEFAULT_REPLIES))
    if unknown:
        raise ValueError(f"{path.name}: replies.{language} has unknown replies: {', '.join(unknown)}")
    worded = {str(key): str(text or "").strip() for key, text in texts.items()}
    empty = [key for key, text in worded.items() if not text]
    if empty:
        raise ValueError(f"{path.name}: replies.{language}.{empty[0]} is empty")
    return worded
