"""Paraphrases a new user typed that the TF-IDF pipeline missed (issue 14), through the real
router and trained model: each gets one coherent reply, not a "did you mean"."""

from __future__ import annotations

import pytest

from bot.assistant.rasa import RasaAssistant
from bot.conversation.messages import InboundMessage
from bot.conversation.router import ConversationRouter
from bot.handoff.policy import HandoffByRules
from feedback.sentiment import TextBlobScorer


@pytest.fixture
def router(model_path, session_factory, content):
    from bot.app.settings import get_settings

    return ConversationRouter(
        session_factory=session_factory,
        assistant=RasaAssistant.load(model_path, get_settings(), content),
        scorer=TextBlobScorer(),
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
    )


@pytest.mark.parametrize(
    ("text", "apology_mentions"),
    [
        ("my package arrived completely smashed", "damaged item"),  # was: did you mean
        # was: a "did you mean" and an escalation in the same turn
        ("This is the worst service ever, I am furious and I want my money back", ""),
    ],
)
async def test_a_complaint_paraphrase_gets_the_recovery_not_a_did_you_mean(router, text, apology_mentions):
    replies = await router.handle(InboundMessage(channel="rest", sender_id="new-user", text=text))
    responses = [reply.response for reply in replies]
    assert "utter_did_you_mean" not in responses
    assert responses[0].startswith("utter_apologise"), responses
    assert apology_mentions in replies[0].text
    assert len(replies) == 2 and "order number" in replies[1].text  # the recovery asks for the order
