"""Surveys in Rasa's terms: the slots the survey rules read, the buttons, and the replies."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from feedback.surveys import plan as survey_plan
from feedback.surveys.outcome import Outcome, Step
from feedback.surveys.plan import SurveyContent


def survey_slots(kind: str | None, trigger: str | None) -> list[EventType]:
    """survey_due tells stories/surveys.yml whether survey_form asks `kind` now."""
    return [
        SlotSet("survey_due", kind is not None),
        SlotSet("survey_kind", kind),
        SlotSet("survey_trigger", trigger if kind else None),
        SlotSet("survey_answer", None),
        SlotSet("survey_comment", None),
        SlotSet("survey_reasks", 0),
        SlotSet("survey_detours", 0),
    ]


def buttons(content: SurveyContent, kind: str) -> list[dict[str, str]]:
    """Rasa button dicts for a survey question, plus Skip: each sends its value as an entity."""
    return [
        {"title": title, "payload": f'/survey_answer{{"survey_value":"{value}"}}'}
        for title, value in survey_plan.choices(content, kind)
    ]


def handled_by(tracker: Tracker) -> str:
    """Who handled the conversation: the router sends the staff member's name with the hand-back."""
    metadata: dict[str, Any] = (tracker.latest_message or {}).get("metadata") or {}
    return str(metadata.get("handled_by") or "bot")[:100]


def say(dispatcher: CollectingDispatcher, content: SurveyContent, outcome: Outcome, *, comment: bool = False) -> None:
    """Put a survey outcome into words (content/surveys.yml)."""
    if outcome.step in (Step.SKIPPED, Step.UNANSWERED):
        dispatcher.utter_message(text=content.skipped)
    elif outcome.step == Step.FOLLOW_UP:
        dispatcher.utter_message(text=f"{content.follow_up} {outcome.handoff}")
    elif outcome.step == Step.THANKS:
        dispatcher.utter_message(text=content.thanks_with_comment if comment else content.thanks)
    elif outcome.step == Step.ALREADY_ANSWERED:
        dispatcher.utter_message(text=content.already_answered)
