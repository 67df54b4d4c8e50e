from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.content import recovery_content
from bot.actions.db import transaction
from bot.conversations import conversation_by_public_id
from bot.storage.models import Compensation, RecoveryStatus
from feedback import recovery


class ActionDeclineCompensation(Action):
    """Records a declined offer; an offer already issued stays issued."""

    def name(self) -> str:
        return "action_decline_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = recovery_content()
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            case = recovery.latest_offer_case(session, conversation.id)
            if case is None:
                dispatcher.utter_message(response="utter_no_open_offer")
                return []
            if case.compensation_id is not None:
                row = session.get(Compensation, case.compensation_id)
                dispatcher.utter_message(
                    text=content.message("already_issued", offer=recovery.describe_compensation(content, row), code=row.code)
                )
                return []
            recovery.close_case(case, RecoveryStatus.DECLINED)
        dispatcher.utter_message(response="utter_compensation_declined")
        return [SlotSet("survey_trigger", "recovery")]
