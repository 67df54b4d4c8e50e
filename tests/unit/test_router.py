"""The router with a scripted assistant: storage, ordering, retries and failures."""

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.conversation.messages import Button, InvalidMessage, OutboundMessage
from bot.conversation.ports import APOLOGY_ON_ERROR, AssistantReply
from bot.conversation.router import ConversationRouter
from bot.storage.models import Conversation, Customer, HandoffRequest, Message
from feedback.sentiment import TextBlobScorer
from tests.support.content import project_content
from tests.support.routing import ScriptedAssistant, inbound, make_router


async def test_stores_message_sentiment_and_replies(session_factory):
    router = make_router(session_factory, ScriptedAssistant())
    replies = await router.handle(inbound("This is rather slow"))
    assert [r.text for r in replies] == ["echo: This is rather slow"]
    with session_factory() as session:
        messages = session.execute(select(Message).order_by(Message.id)).scalars().all()
        conversation = session.execute(select(Conversation)).scalar_one()
    assert [(m.direction, m.text) for m in messages] == [
        ("customer", "This is rather slow"),
        ("bot", "echo: This is rather slow"),
    ]
    assert messages[0].polarity < 0 and messages[0].intent == "faq/x" and messages[0].handled
    assert messages[1].reply_to_id == messages[0].id
    assert conversation.sentiment_rolling == pytest.approx(messages[0].polarity)
    assert conversation.customer_message_count == 1


async def test_button_payloads_get_no_sentiment(session_factory):
    router = make_router(session_factory, ScriptedAssistant())
    await router.handle(inbound('/choose_topic{"topic":"order_status"}'))
    with session_factory() as session:
        message = session.execute(select(Message).where(Message.direction == "customer")).scalar_one()
    assert message.polarity is None


async def test_messages_of_one_conversation_are_answered_in_order(session_factory):
    assistant = ScriptedAssistant(delay=0.05)
    router = make_router(session_factory, assistant)
    texts = [f"message {i}" for i in range(6)]
    results = await asyncio.gather(*(router.handle(inbound(t)) for t in texts))
    assert assistant.calls == texts
    assert assistant.max_active == 1
    assert [r[0].text for r in results] == [f"echo: {t}" for t in texts]
    with session_factory() as session:
        stored = session.execute(select(Message.text).order_by(Message.id)).scalars().all()
    assert stored == [x for t in texts for x in (t, f"echo: {t}")]


async def test_different_conversations_run_concurrently(session_factory):
    assistant = ScriptedAssistant(delay=0.1)
    router = make_router(session_factory, assistant)
    await asyncio.gather(*(router.handle(inbound("hi", sender=f"c{i}")) for i in range(4)))
    assert assistant.max_active > 1


async def test_a_retried_delivery_takes_effect_once(session_factory):
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    first = await router.handle(inbound("where is my order", message_id="m-1"))
    again = await router.handle(inbound("where is my order", message_id="m-1"))
    assert assistant.calls == ["where is my order"]
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    with session_factory() as session:
        assert len(session.execute(select(Message)).scalars().all()) == 2


async def test_assistant_failure_keeps_the_message_and_apologises(session_factory):
    router = make_router(session_factory, ScriptedAssistant(fail=True))
    replies = await router.handle(inbound("hello"))
    assert [r.text for r in replies] == [APOLOGY_ON_ERROR]
    with session_factory() as session:
        texts = session.execute(select(Message.text).order_by(Message.id)).scalars().all()
    assert texts == ["hello", APOLOGY_ON_ERROR]


async def test_invalid_input_stores_nothing(session_factory):
    router = make_router(session_factory, ScriptedAssistant())
    for bad in ["", "   ", "\x00", "x" * 5000]:
        with pytest.raises(InvalidMessage):
            await router.handle(inbound(bad))
    with session_factory() as session:
        assert session.execute(select(Customer)).first() is None
        assert session.execute(select(Message)).first() is None


async def test_idle_conversation_ends_and_a_new_one_starts(session_factory):
    router = make_router(session_factory, ScriptedAssistant(), conversation_timeout=timedelta(seconds=0))
    await router.handle(inbound("first"))
    await asyncio.sleep(0.01)
    await router.handle(inbound("second"))
    with session_factory() as session:
        conversations = session.execute(select(Conversation).order_by(Conversation.id)).scalars().all()
    assert len(conversations) == 2
    assert conversations[0].ended_at is not None and conversations[1].ended_at is None


async def test_human_states_are_not_sent_to_the_bot(session_factory):
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    await router.handle(inbound("hi"))
    with session_factory.begin() as session:
        session.execute(select(Conversation)).scalar_one().state = "with_human"
    assert await router.handle(inbound("are you there?")) == []
    assert assistant.calls == ["hi"]
    with session_factory() as session:
        assert session.execute(select(Message.text).order_by(Message.id.desc())).scalars().first() == "are you there?"


def handoff_requests(session_factory) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [(h.reason, h.status) for h in session.execute(select(HandoffRequest)).scalars()]


async def test_a_very_negative_message_is_escalated_once_and_then_held_for_a_person(session_factory):
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    replies = await router.handle(inbound("This is terrible, the worst"))
    assert replies[0].text.startswith("echo:")
    assert replies[1].text.startswith(project_content().escalation.messages["empathy"])
    assert handoff_requests(session_factory) == [("very_negative_message", "open")]
    with session_factory() as session:
        assert session.execute(select(Conversation)).scalar_one().state == "awaiting_human"
    # Waiting for a person: the bot is not asked; the first message gets one holding note.
    first = await router.handle(inbound("hello??"))
    second = await router.handle(inbound("anyone?"))
    assert [r.text for r in first] == [project_content().escalation.messages["holding"]]
    assert second == []
    assert len(assistant.calls) == 1
    assert handoff_requests(session_factory) == [("very_negative_message", "open")]
    with session_factory() as session:
        waiting = session.execute(select(Message).where(Message.text.in_(["hello??", "anyone?"]))).scalars().all()
    assert [m.handled for m in waiting] == [False, False]


async def test_a_rolling_run_of_negative_messages_is_escalated(session_factory):
    router = make_router(session_factory, ScriptedAssistant())
    for text in ("this is bad", "still bad, not good", "bad and slow and annoying"):
        await router.handle(inbound(text))
    assert handoff_requests(session_factory) == [("negative_sentiment", "open")]


async def test_an_angry_complaint_is_left_to_the_recovery_flow(session_factory):
    router = make_router(session_factory, ScriptedAssistant(intent="complain_damaged_item"))
    replies = await router.handle(inbound("This is terrible, the worst"))
    assert len(replies) == 1
    assert handoff_requests(session_factory) == []


class MoodOnly:
    """A handoff policy that records what the router asks and answers every scored reply with a notice."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, str]] = []

    def holding_note(self, session, conversation_id, message_id):
        return None

    def after_reply(self, session, conversation_id, *, intent, text):
        self.asked.append((intent, text))
        return "a person will look at this"

    def cancel_while_queued(self, session, conversation_id):
        return None


async def test_the_router_follows_the_handoff_policy_it_is_given(session_factory):
    policy = MoodOnly()
    router = ConversationRouter(
        session_factory=session_factory, assistant=ScriptedAssistant(), scorer=TextBlobScorer(), handoff=policy
    )
    replies = await router.handle(inbound("This is rather slow"))
    await router.handle(inbound('/choose_topic{"topic":"order_status"}'))  # a button: no mood to read
    assert [r.text for r in replies] == ["echo: This is rather slow", "a person will look at this"]
    assert policy.asked == [("faq/x", "This is rather slow")]
    with session_factory() as session:
        stored = session.execute(select(Message.text).where(Message.direction == "bot")).scalars().all()
    assert "a person will look at this" in stored
    assert handoff_requests(session_factory) == []  # the policy given, not the escalation rules


async def test_a_button_on_a_stored_reply_is_found_only_for_its_customer(session_factory):
    class Buttons(ScriptedAssistant):
        async def respond(self, conversation_id, text, *, channel, metadata):
            return AssistantReply(
                messages=[OutboundMessage(text="pick", buttons=(Button("Yes", "/affirm"), Button("No", "/deny")))]
            )

    router = make_router(session_factory, Buttons())
    [reply] = await router.handle(inbound("hi"))
    assert reply.id is not None
    assert await router.button_payload("rest", "c1", reply.id, 1) == "/deny"
    assert await router.button_payload("rest", "c1", reply.id, 2) is None
    assert await router.button_payload("rest", "someone-else", reply.id, 0) is None
    assert await router.button_payload("telegram", "c1", reply.id, 0) is None


async def test_an_unreadable_message_is_stored_with_its_reply_once_and_never_reaches_the_bot(session_factory):
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    photo = inbound("[photo]", message_id="tg-7")
    first = await router.record_unreadable(photo, OutboundMessage(text="I can only read text"))
    with session_factory() as session:
        stored_first = session.execute(select(Message.id).order_by(Message.id)).scalars().all()
    again = await router.record_unreadable(photo, OutboundMessage(text="a second reply, never stored"))
    # The first delivery stores its reply; the repeat gets that stored reply back and stores nothing.
    assert [r.text for r in first.replies] == ["I can only read text"] and [
        r.id for r in first.replies
    ] == stored_first[1:]
    assert [(r.id, r.text) for r in again.replies] == [(r.id, r.text) for r in first.replies]
    assert assistant.calls == []
    with session_factory() as session:
        texts = session.execute(select(Message.text).order_by(Message.id)).scalars().all()
    assert texts == ["[photo]", "I can only read text"]
