"""Reading the conversation history that Rasa passes to actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FALLBACK_INTENT = "nlu_fallback"
# Saying "none of these" after a "did you mean" does not end a run of misunderstandings.
NEUTRAL_INTENTS = {"deny"}


def user_events(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == "user"]


def intent_name(event: dict[str, Any]) -> str | None:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return intent.get("full_retrieval_intent_name") or intent.get("name")


def consecutive_fallbacks(events: Iterable[dict[str, Any]]) -> int:
    """How many of the latest customer messages in a row were not understood."""
    count = 0
    for event in reversed(user_events(events)):
        name = intent_name(event)
        if name == FALLBACK_INTENT:
            count += 1
        elif name not in NEUTRAL_INTENTS:
            break
    return count


def faq_topics(events: Iterable[dict[str, Any]]) -> list[str]:
    """The FAQ topics the customer asked about (faq/order_status -> order_status), in order."""
    names = (intent_name(event) or "" for event in user_events(events))
    return [name.split("/", 1)[1] for name in names if name.startswith("faq/")]


def last_faq_question(events: Iterable[dict[str, Any]]) -> tuple[str, str] | None:
    """(topic, key) of the latest FAQ the customer asked; the key is the message's timestamp."""
    for event in reversed(user_events(events)):
        name = intent_name(event) or ""
        if name.startswith("faq/"):
            return name.split("/", 1)[1], str(event.get("timestamp"))
        if name == "choose_topic":
            for entity in (event.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") == "topic":
                    return str(entity.get("value")), str(event.get("timestamp"))
    return None


def last_bot_action(events: Iterable[dict[str, Any]]) -> str | None:
    """The last action before the latest customer message, ignoring action_listen."""
    seen_user = False
    for event in reversed(list(events)):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None
