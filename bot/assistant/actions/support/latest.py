"""What the customer's latest message was, as the actions need it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

# Intents that leave a form for a rule of their own, when the text isn't an answer.
CONFIDENT = 0.7


def intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def confidence(tracker: Tracker) -> float:
    return float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)


def text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def entity(tracker: Tracker, name: str) -> Any | None:
    for found in (tracker.latest_message or {}).get("entities") or []:
        if found.get("entity") == name:
            return found.get("value")
    return None


def is_command(tracker: Tracker) -> bool:
    """A button payload or slash command rather than typed prose."""
    return text(tracker).startswith("/")


def fresh_answer(tracker: Tracker, form: str) -> bool:
    """Whether the form's validation is looking at a new customer message. On activation, and on
    the way back from a digression (an FAQ answered mid-form), the latest message was meant for
    something else: reading it again would reject the form a second time."""
    if (tracker.active_loop or {}).get("name") != form:
        return False
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") != form:
            return event.get("name") == "action_listen"
    return False
