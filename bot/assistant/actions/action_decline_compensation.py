from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.offer_answer import open_offer
from bot.storage.models import RecoveryStatus
from feedback import recovery


class ActionDeclineCompensation(Action):
    """Records a declined offer; an offer already issued stays issued."""

    def name(self) -> str:
        return "action_decline_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with transaction() as session:
            _, case = open_offer(session, tracker, dispatcher)
            if case is None:
                return []
            recovery.close_case(case, RecoveryStatus.DECLINED)
        dispatcher.utter_message(response="utter_compensation_declined")
        return [SlotSet("survey_trigger", "recovery")]
