"""Recovery outcomes in words (content/recovery.yml) and buttons."""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from feedback.recovery import Outcome, RecoveryContent, Step

# The message in content/recovery.yml for each outcome that is worded there.
MESSAGE_KEYS = {
    Step.OFFER: "offer",
    Step.ISSUED: "issued",
    Step.NEEDS_APPROVAL: "pending",
    Step.CAP_REACHED: "capped",
    Step.ALREADY_ISSUED: "already_issued",
}


def say(dispatcher: CollectingDispatcher, content: RecoveryContent, outcome: Outcome) -> None:
    if outcome.step == Step.NO_OFFER:
        dispatcher.utter_message(response="utter_no_open_offer")
        return
    if outcome.step == Step.DECLINED:
        dispatcher.utter_message(response="utter_compensation_declined")
        return
    key = "issued_replacement" if outcome.replacement else MESSAGE_KEYS[outcome.step]
    text = content.message(key, offer=outcome.offer, code=outcome.code, handoff=outcome.handoff)
    if outcome.step != Step.OFFER:
        dispatcher.utter_message(text=text)
        return
    dispatcher.utter_message(
        text=text,
        buttons=[
            {"title": content.messages.get("accept_button", "Yes, please"), "payload": "/accept_offer"},
            {"title": content.messages.get("decline_button", "No, thanks"), "payload": "/decline_offer"},
        ],
    )
