"""Running a custom action as Rasa's demos test them: the real domain, a fresh CollectingDispatcher,
a tracker built from events."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain")).as_dict()
SENDER = "conv-1"


def user(intent: str, text: str = "...", ts: float = 1.0, entities=(), ranking=(), selector=None) -> dict:
    name, _, sub = intent.partition("/")
    intent_data = {"name": name, "confidence": 0.9}
    if sub:
        intent_data["full_retrieval_intent_name"] = intent
    parse_data = {"intent": intent_data, "entities": list(entities), "intent_ranking": list(ranking), "text": text}
    if selector:
        parse_data["response_selector"] = {"faq": {"ranking": selector}}
    return {"event": "user", "text": text, "timestamp": ts, "parse_data": parse_data}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def form_reply(form: str, text: str, intent: str, slots: dict, entities=()) -> dict:
    """run()'s arguments for a form validator: the customer answers while `form` is active."""
    return dict(
        events=[action("action_listen"), user(intent, text=text, entities=entities)], slots=slots, active_loop=form
    )


def tracker(
    events: list[dict], slots: dict | None = None, active_loop: str | None = None, latest_action: str = "action_listen"
) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(SENDER, slots or {}, latest, events, False, None, loop, latest_action)


async def run(action_class, events, slots=None, **tracker_kwargs):
    dispatcher = CollectingDispatcher()
    result = await action_class().run(dispatcher, tracker(events, slots, **tracker_kwargs), DOMAIN)
    return result, dispatcher.messages


def slots_of(events: list) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
