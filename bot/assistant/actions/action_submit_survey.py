from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.tracker_events import faq_topics
from bot.conversation.store import conversation_by_public_id
from feedback.surveys import outcome as survey_outcome
from feedback.surveys.outcome import Step
from feedback.surveys.plan import SKIPPED


class ActionSubmitSurvey(Action):
    """Stores the answer once, closes the loop after a bad score, and picks the next survey."""

    def name(self) -> str:
        return "action_submit_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = context()
        content = ctx.content.surveys
        comment = tracker.get_slot("survey_comment")
        comment = None if comment in (None, SKIPPED, "") else comment
        trigger = tracker.get_slot("survey_trigger")
        with ctx.transaction() as session:
            outcome = survey_outcome.submit(
                session,
                conversation_by_public_id(session, tracker.sender_id),
                content,
                kind=tracker.get_slot("survey_kind"),
                raw=tracker.get_slot("survey_answer"),
                comment=comment,
                trigger=trigger,
                faq_topics=faq_topics(tracker.events),
                handover=ctx.handover(),
                scorer=ctx.content.sentiment,
            )
        if outcome.step == Step.NOTHING:
            return survey_support.survey_slots(None, None)
        survey_support.say(dispatcher, content, outcome, comment=comment is not None)
        if outcome.next_survey is None and trigger == "goodbye" and outcome.step != Step.FOLLOW_UP:
            dispatcher.utter_message(response="utter_goodbye")
        return survey_support.survey_slots(outcome.next_survey, trigger)
