from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.latest import fresh_answer
from bot.assistant.actions.support.content import survey_content
from feedback.surveys import plan as survey_plan
from feedback.surveys.plan import SKIPPED

FORM = "survey_form"
UNANSWERED = "unanswered"
# Messages that leave the survey for their own rule (stories/surveys.yml) unless they answer it.
LEAVE_INTENTS = {"request_human", "faq", "accept_offer"}


def is_complaint(intent) -> bool:
    return bool(intent) and intent.startswith("complain_")


def done(**slots: Any) -> list[EventType]:
    return [*(SlotSet(k, v) for k, v in slots.items()), SlotSet("survey_reasks", 0), SlotSet("requested_slot", None)]


class ValidateSurveyForm(Action):
    """Reads a survey answer from a button or typed text; "skip" skips; nonsense is re-asked twice."""

    def name(self) -> str:
        return "validate_survey_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not fresh_answer(tracker, FORM):
            return []
        content = survey_content()
        kind = tracker.get_slot("survey_kind")
        requested = tracker.get_slot("requested_slot")
        intent, text = latest.intent(tracker), latest.text(tracker)
        button_kind, button_value = survey_plan.split_button_value(latest.entity(tracker, "survey_value"))
        if requested == "survey_answer":
            if intent == "survey_answer":
                if button_kind != kind:
                    return [ActionExecutionRejected(FORM)]  # a button of an earlier survey
                typed = button_value
            else:
                typed = "" if latest.is_command(tracker) else text
            if typed == SKIPPED or survey_plan.is_skip(content, typed) or intent == "cancel":
                return done(survey_answer=SKIPPED)
            answer = survey_plan.parse_answer(kind, typed) if typed else None
            if answer is not None:
                if kind in content.comment_for:
                    return [SlotSet("survey_answer", str(answer)), SlotSet("survey_reasks", 0),
                            SlotSet("requested_slot", "survey_comment")]
                return done(survey_answer=str(answer))
            confident = latest.confidence(tracker) >= latest.CONFIDENT
            if is_complaint(intent) or (confident and intent in LEAVE_INTENTS):
                return [ActionExecutionRejected(FORM)]
            reasks = int(tracker.get_slot("survey_reasks") or 0) + 1
            if reasks > content.max_reasks:
                return done(survey_answer=UNANSWERED)
            return [SlotSet("survey_reasks", reasks)]
        if requested == "survey_comment":
            if intent == "survey_answer":
                if button_value == SKIPPED:
                    return done(survey_comment=SKIPPED)
                return [SlotSet("survey_reasks", 0)]  # the score tapped twice: ask for the comment again
            if intent == "request_human" and latest.confidence(tracker) >= latest.CONFIDENT:
                return [ActionExecutionRejected(FORM)]
            if latest.is_command(tracker) or not text.strip():
                return [SlotSet("survey_reasks", 0)]
            if survey_plan.is_skip(content, text):
                return done(survey_comment=SKIPPED)
            return done(survey_comment=text[:2000])
        return []
