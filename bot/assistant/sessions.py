"""Bounded Rasa sessions: the tracker Rasa reads for each message stays short however long the
customer's conversation runs.

Rasa's SQL tracker store reads (and its policies featurise) only the events since the last
SessionStarted, and our action_session_start carries every slot over. So after `limit` customer
messages in a session, the next message starts a new Rasa session first, as a session expiry
would: nothing is said, the slots stay, the product's conversation is untouched. It waits for a
quiet point, because a new session forgets the active form, the bot's last question, which rules
read ("Did that answer your question?" then "yes"), and a run of misunderstood messages, which
actions count. A conversation that never goes quiet gets its new session anyway at
`HARD_LIMIT_FACTOR * limit` messages; a running form is then kept running
(`start_session_keeping_loop`), a pending question is not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, REQUESTED_SLOT
from rasa.shared.core.events import ActionExecuted, ActiveLoop, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.assistant.actions.support.tracker_events import FALLBACK_INTENT, NEUTRAL_INTENTS

# Bot actions that end in a question whose answer a rule reads through the previous action
# (stories/*.yml: rules that start with one of these actions and then an intent), or that offer a
# choice by buttons. tests/unit/test_tracker_sessions.py checks the rules against this list.
QUESTION_ACTIONS = frozenset(
    {
        "utter_ask_faq_helpful",
        "action_answer_topic",
        "action_did_you_mean",
        "action_offer_compensation",
        "action_choose_remedy",  # replacement or refund, by button (issue 19)
        "utter_iamabot",
        "utter_offer_human",
    }
)
HARD_LIMIT_FACTOR = 4


def user_messages_in_session(tracker: DialogueStateTracker) -> int:
    """Customer messages in the tracker, which the store loads from the last session start."""
    return sum(1 for event in tracker.events if isinstance(event, UserUttered))


def last_bot_action(tracker: DialogueStateTracker) -> str | None:
    """The bot's last action before it started listening (None if it has not acted yet)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return None
        if isinstance(event, ActionExecuted) and event.action_name not in (ACTION_LISTEN_NAME, None):
            return event.action_name
    return None


def misunderstood_lately(tracker: DialogueStateTracker) -> bool:
    """The latest messages were not understood ("none of these" in between does not count): the
    offer of a person counts such a run in the session's events (support/tracker_events.py)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if event.intent_name == FALLBACK_INTENT:
                return True
            if event.intent_name not in NEUTRAL_INTENTS:
                return False
    return False


def at_quiet_point(tracker: DialogueStateTracker) -> bool:
    """No form running, no slot asked for, no question of the bot's waiting for an answer, and
    no run of misunderstandings being counted."""
    return (
        tracker.active_loop_name is None
        and tracker.get_slot(REQUESTED_SLOT) is None
        and last_bot_action(tracker) not in QUESTION_ACTIONS
        and not misunderstood_lately(tracker)
    )


def needs_new_session(tracker: DialogueStateTracker, limit: int) -> bool:
    """Whether the next message should start a new Rasa session to keep the tracker short."""
    messages = user_messages_in_session(tracker)
    if messages >= HARD_LIMIT_FACTOR * limit:
        return True
    return messages >= limit and at_quiet_point(tracker)


UpdateSession = Callable[..., Awaitable[None]]


def bound_sessions(processor: MessageProcessor, limit: int) -> None:
    """Make `processor` start a new session when its tracker holds `limit` customer messages."""
    expired = processor._has_session_expired
    update_session: UpdateSession = processor._update_tracker_session

    def has_session_expired(tracker: DialogueStateTracker) -> bool:
        return expired(tracker) or needs_new_session(tracker, limit)

    async def update_tracker_session(tracker: DialogueStateTracker, *args: Any, **kwargs: Any) -> None:
        await start_session_keeping_loop(update_session, tracker, *args, **kwargs)

    # Per instance, not on the class: only the product's processor is bounded (bench's bare Rasa is not).
    processor._has_session_expired = has_session_expired
    processor._update_tracker_session = update_tracker_session


async def start_session_keeping_loop(
    update_session: UpdateSession, tracker: DialogueStateTracker, *args: Any, **kwargs: Any
) -> None:
    """Rasa's session update; a form that was running (only at the hard limit) runs on after it.

    SessionStarted clears the active loop while action_session_start carries the slots (the
    requested one too), so setting the loop again lets the form take the customer's answer."""
    loop = tracker.active_loop_name
    before = len(tracker.events)
    await update_session(tracker, *args, **kwargs)
    started = any(
        isinstance(event, ActionExecuted) and event.action_name == ACTION_SESSION_START_NAME
        for event in list(tracker.events)[before:]
    )
    if loop is not None and started and tracker.active_loop_name is None:
        tracker.update(ActiveLoop(loop))
