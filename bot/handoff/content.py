"""The wording around a handoff (content/desk.yml: joined, left, cancelled, queue estimates...) and
the staff's canned replies; bot/app/content.py loads them, and the desk, the router and escalate
are given them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from bot.conversation.ports import APOLOGY_ON_ERROR
from feedback.language import in_language

DEFAULT_MESSAGES = {
    "joined": "A team member ({name}) has joined",
    "left": "A team member ({name}) has left",
    "cancelled": "No problem, I've cancelled your request for a person.",
    "timed_out": "Sorry for the wait: everyone on our team is busy. Your request stays open.",
    "compensation_approved": "Good news: {offer} has been approved (reference {code}).",
    "compensation_declined": "We're sorry: we can't offer {offer} this time (reference {code}).",
    "queue_estimate": "There {ahead_text} ahead of you; the wait is usually about {minutes} minutes.",
    "queue_first": "You're next in line.",
    "assistant_error": APOLOGY_ON_ERROR,
}


@dataclass(frozen=True)
class CannedReply:
    title: str
    text: str


@dataclass(frozen=True)
class DeskContent:
    messages: dict[str, str]
    canned: tuple[CannedReply, ...]
    # The customer-facing messages in other languages (desk.yml's `fa:` section), by language.
    translations: Mapping[str, dict[str, str]] = field(default_factory=dict)
    # The canned replies in other languages (canned_replies.yml's `fa:` section), by language.
    canned_translations: Mapping[str, tuple[CannedReply, ...]] = field(default_factory=dict)

    def say(self, key: str, **values) -> str:
        return self.messages[key].format(**values)

    def in_language(self, language: str | None) -> DeskContent:
        """The wording for a customer in `language` (English when it has none)."""
        messages = self.translations.get(language or "")
        canned = self.canned_translations.get(language or "")
        if messages is None and canned is None:
            return self
        return replace(
            self,
            messages=self.messages if messages is None else messages,
            canned=self.canned if canned is None else canned,
            translations={},
            canned_translations={},
        )


def load_messages(path: Path, language: str | None = None) -> dict[str, str]:
    """The desk's wording (desk.yml), over the defaults; no file keeps the defaults."""
    messages = dict(DEFAULT_MESSAGES)
    if path.is_file():
        data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
        messages.update({str(k): str(v) for k, v in (data.get("messages") or {}).items()})
    return messages


def load_canned(path: Path, language: str | None = None) -> tuple[CannedReply, ...]:
    """The staff's canned replies (canned_replies.yml) for customers in `language` (its section of
    that name replaces the English list); none without the file."""
    canned: list[CannedReply] = []
    if path.is_file():
        data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
        for index, item in enumerate(data.get("canned_replies") or ()):
            if not isinstance(item, dict) or not str(item.get("text") or "").strip():
                raise ValueError(f"canned_replies.yml: entry {index + 1} needs a title and a text")
            canned.append(
                CannedReply(title=str(item.get("title") or f"Reply {index + 1}"), text=str(item["text"]).strip())
            )
    return tuple(canned)
