from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.tracker_events import consecutive_fallbacks
from bot.assistant.topics import Topics

MAX_SUGGESTIONS = 2
# Suggesting these would not help someone who was not understood.
NOT_SUGGESTED = {"nlu_fallback", "out_of_scope", "affirm", "deny", "greet", "goodbye", "thanks"}


def suggestions(latest_message: dict[str, Any], content: Topics) -> list[dict[str, str]]:
    """The closest topics or intents as buttons, best first."""
    buttons: list[dict[str, str]] = []
    for ranked in latest_message.get("intent_ranking") or []:
        name = ranked.get("name")
        if name in NOT_SUGGESTED:
            continue
        if name == "faq":
            selector = (latest_message.get("response_selector") or {}).get("faq") or {}
            for candidate in selector.get("ranking") or []:
                key = candidate.get("intent_response_key") or ""
                topic = key.split("/", 1)[1] if key.startswith("faq/") else None
                if topic in content.titles:
                    buttons.append(
                        {
                            "title": content.titles[topic],
                            "payload": f'/choose_topic{{"topic":"{topic}"}}',
                        }
                    )
                if len(buttons) >= MAX_SUGGESTIONS:
                    break
        elif name in content.intent_titles:
            buttons.append({"title": content.intent_titles[name], "payload": f"/{name}"})
        if len(buttons) >= MAX_SUGGESTIONS:
            break
    return buttons[:MAX_SUGGESTIONS]


class ActionDidYouMean(CustomAction):
    """First miss: the two closest topics; second miss in a row: offer a person."""

    action_name = "action_did_you_mean"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if consecutive_fallbacks(tracker.events) >= 2:
            dispatcher.utter_message(response="utter_offer_human")
            return []
        content = context(tracker).content.topics
        buttons = suggestions(tracker.latest_message, content)
        buttons.append({"title": content.something_else, "payload": "/deny"})
        dispatcher.utter_message(response="utter_did_you_mean", buttons=buttons)
        return []
