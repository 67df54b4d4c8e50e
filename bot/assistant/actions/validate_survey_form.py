from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.forms import LeaveForm, MessageFormValidation, reask_or_give_up
from feedback.surveys import plan as survey_plan
from feedback.surveys.plan import SKIPPED, UNANSWERED

__all__ = ["UNANSWERED", "ValidateSurveyForm"]

# Messages that leave the survey for their own rule (stories/surveys.yml) unless they answer it.
LEAVE_INTENTS = {"request_human", "faq", "accept_offer"}
# A question during a survey is answered at a lower bar than leaving takes: it does not end the
# survey (the question is asked again), and a text that answers the survey was read first.
QUESTION_CONFIDENT = 0.5


def faq_response(tracker: Tracker) -> str | None:
    """utter_faq/<topic> for a typed FAQ question the assistant understood, else None."""
    if latest.intent(tracker) != "faq" or latest.is_command(tracker):
        return None
    if latest.confidence(tracker) < QUESTION_CONFIDENT:
        return None
    selector = ((tracker.latest_message or {}).get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key") or ""
    return f"utter_{key}" if key.startswith("faq/") else None


def is_complaint(intent) -> bool:
    return bool(intent) and intent.startswith("complain_")


def done(**slots: Any) -> dict[str, Any]:
    return {**slots, "survey_reasks": 0, "requested_slot": None}


def button_value(tracker: Tracker) -> tuple[str | None, str | None]:
    """(kind, value) of a tapped survey button."""
    return survey_plan.split_button_value(latest.entity(tracker, "survey_value"))


class ValidateSurveyForm(MessageFormValidation):
    """Reads a survey answer from a button or typed text; "skip" skips; nonsense is re-asked twice."""

    action_name = "validate_survey_form"

    def validate_survey_answer(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """A score or CES answer; then the comment for the kinds that ask for one."""
        content = context(tracker).content.surveys
        kind, intent = tracker.get_slot("survey_kind"), latest.intent(tracker)
        if intent == "survey_answer":
            button_kind, typed = button_value(tracker)
            if button_kind != kind:
                raise LeaveForm  # a button of an earlier survey
        else:
            typed = "" if latest.is_command(tracker) else text
        if typed == SKIPPED or survey_plan.is_skip(content, typed) or intent == "cancel":
            return done(survey_answer=SKIPPED)
        answer = survey_plan.parse_answer(kind, typed) if typed else None
        if answer is not None:
            if kind in content.comment_for:
                return {"survey_answer": str(answer), "survey_reasks": 0, "requested_slot": "survey_comment"}
            return done(survey_answer=str(answer))
        question = faq_response(tracker)
        if question is not None and not tracker.get_slot("survey_detours"):
            # A real question: answer it, then ask the survey question again, in its own words,
            # once. A second question means the customer moved on: the survey is left below.
            dispatcher.utter_message(response=question)
            return {"survey_answer": None, "survey_reasks": 0, "survey_detours": 1}
        confident = latest.confidence(tracker) >= latest.CONFIDENT
        if is_complaint(intent) or question is not None or (confident and intent in LEAVE_INTENTS):
            raise LeaveForm
        give_up = done(survey_answer=UNANSWERED)
        return reask_or_give_up(tracker, "survey_reasks", content.max_reasks, "survey_answer", give_up)

    def validate_survey_comment(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """The reason for the score, in the customer's words, or Skip."""
        if latest.intent(tracker) == "survey_answer":
            if button_value(tracker)[1] == SKIPPED:
                return done(survey_comment=SKIPPED)
            return {"survey_comment": None, "survey_reasks": 0}  # the score tapped twice: ask again
        if latest.intent(tracker) == "request_human" and latest.confidence(tracker) >= latest.CONFIDENT:
            raise LeaveForm
        if latest.is_command(tracker) or not text.strip():
            return {"survey_comment": None, "survey_reasks": 0}
        if survey_plan.is_skip(context(tracker).content.surveys, text):
            return done(survey_comment=SKIPPED)
        return done(survey_comment=text[:2000])
