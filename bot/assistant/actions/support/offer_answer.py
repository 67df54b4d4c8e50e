"""What accepting and declining an offer share: finding the offer, and answering a repeat."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from bot.assistant.actions.support.content import recovery_content
from bot.conversation.store import conversation_by_public_id
from bot.storage.models import Compensation, Conversation, RecoveryCase
from feedback import recovery


def open_offer(
    session: Session, tracker: Tracker, dispatcher: CollectingDispatcher
) -> tuple[Conversation, Optional[RecoveryCase]]:
    """The conversation and its offer still waiting for an answer. When there is none, or it
    was already issued (a second tap, a retry), the customer is told and the case is None."""
    conversation = conversation_by_public_id(session, tracker.sender_id)
    case = recovery.latest_offer_case(session, conversation.id)
    if case is None:
        dispatcher.utter_message(response="utter_no_open_offer")
        return conversation, None
    if case.compensation_id is not None:
        content = recovery_content()
        row = session.get(Compensation, case.compensation_id)
        dispatcher.utter_message(
            text=content.message("already_issued", offer=recovery.describe_compensation(content, row), code=row.code)
        )
        return conversation, None
    return conversation, case
