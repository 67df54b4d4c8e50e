"""'Not understood' is a query on the response name a bot message stores: through the real router
and trained model, a fallback reply keeps Rasa's utter_ name and the metrics engine counts it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.assistant.rasa import RasaAssistant
from bot.conversation.messages import InboundMessage
from bot.conversation.router import ConversationRouter
from bot.handoff.policy import HandoffByRules
from bot.storage.models import Message
from feedback.exports import conversation_rows
from feedback.metrics import Filters, build_dashboard, compute_totals
from feedback.metrics.not_understood import count_not_understood
from feedback.sentiment import TextBlobScorer


async def test_a_fallback_reply_stores_its_response_and_counts_as_not_understood(model_path, session_factory, content):
    from bot.app.settings import get_settings

    assistant = RasaAssistant.load(model_path, get_settings(), content)
    router = ConversationRouter(
        session_factory=session_factory,
        assistant=assistant,
        scorer=TextBlobScorer(),
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
    )
    since = datetime.now(timezone.utc) - timedelta(minutes=1)
    said = []
    for text in ("/nlu_fallback", "where is my order"):
        replies = await router.handle(InboundMessage(channel="rest", sender_id="lost", text=text))
        said.append(replies)
        assert all("response" not in reply.to_dict() for reply in replies)  # channels never send it

    assert said[0][0].response == "utter_did_you_mean"
    with session_factory() as session:
        rows = session.execute(select(Message).order_by(Message.id)).scalars().all()
        customer = {m.text: m.id for m in rows if m.direction == "customer"}

        def responses(text: str) -> list[str | None]:
            return [m.response for m in rows if m.direction == "bot" and m.reply_to_id == customer[text]]

        assert responses("/nlu_fallback") == ["utter_did_you_mean"]
        assert responses("where is my order")[0] == "utter_faq/order_status"  # understood

        filters = Filters(since, datetime.now(timezone.utc) + timedelta(minutes=1))
        assert count_not_understood(session) == 1
        assert compute_totals(session, filters).not_understood == 1
        [group] = build_dashboard(session, filters).fallbacks
        assert (group.example, group.count) == ("/nlu_fallback", 1)
        [row] = conversation_rows(session, filters)
        assert row["fallbacks"] == 1
