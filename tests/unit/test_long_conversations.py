"""A long conversation costs no more per message than a short one (issue 21, point 8), and stays
one conversation for the reports: Rasa's tracker is bounded by its sessions instead
(tests/e2e/test_long_rasa_sessions.py), the product's conversation is split only at a safety cap
far beyond any person's, and the router's own statements per message do not grow with the
conversation. Timings are in `make bench`, not here."""

from __future__ import annotations

from sqlalchemy import event, select

from bot.app.settings import load_settings
from bot.storage.models import Conversation, ConversationState
from tests.support.routing import ScriptedAssistant, inbound, make_router


class Recording(ScriptedAssistant):
    def __init__(self) -> None:
        super().__init__()
        self.conversations: list[str] = []

    async def respond(self, conversation_id, text, *, channel, metadata):
        self.conversations.append(conversation_id)
        return await super().respond(conversation_id, text, channel=channel, metadata=metadata)


async def test_a_long_conversation_with_the_default_settings_stays_one(session_factory):
    settings = load_settings({})
    assistant = Recording()
    router = make_router(session_factory, assistant, max_conversation_messages=settings.max_conversation_messages)
    for n in range(65):
        await router.handle(inbound(f"question {n}"))
    assert len(set(assistant.conversations)) == 1 and len(assistant.conversations) == 65
    with session_factory() as session:
        [conversation] = session.execute(select(Conversation)).scalars().all()
    assert conversation.customer_message_count == 65 and conversation.ended_at is None
    assert settings.max_conversation_messages >= 1000 > 4 * settings.tracker_session_messages


async def test_the_bot_starts_a_new_conversation_after_the_safety_cap(session_factory):
    assistant = Recording()
    router = make_router(session_factory, assistant, max_conversation_messages=3)
    for n in range(7):
        await router.handle(inbound(f"question {n}"))
    first, second, third = assistant.conversations[0], assistant.conversations[3], assistant.conversations[6]
    assert assistant.conversations == [first] * 3 + [second] * 3 + [third]
    assert len({first, second, third}) == 3  # Rasa gets a fresh tracker each time
    with session_factory() as session:
        rows = session.execute(select(Conversation).order_by(Conversation.id)).scalars().all()
    assert [c.customer_message_count for c in rows] == [3, 3, 1]
    assert [c.ended_at is not None for c in rows] == [True, True, False]


async def test_a_conversation_with_a_person_is_never_cut(session_factory):
    assistant = Recording()
    router = make_router(session_factory, assistant, max_conversation_messages=2)
    await router.handle(inbound("hi"))
    with session_factory.begin() as session:
        session.execute(select(Conversation)).scalar_one().state = ConversationState.WITH_HUMAN.value
    for n in range(4):
        await router.handle(inbound(f"for the person {n}"))
    with session_factory() as session:
        rows = session.execute(select(Conversation)).scalars().all()
    assert len(rows) == 1 and rows[0].customer_message_count == 5


async def test_the_routers_statements_per_message_do_not_grow(session_factory):
    router = make_router(session_factory, ScriptedAssistant(), max_conversation_messages=1000)
    engine = session_factory.kw["bind"]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    counts = {}
    for n in range(1, 61):
        statements.clear()
        if n in (5, 60):
            event.listen(engine, "before_cursor_execute", count)
        await router.handle(inbound(f"is my order number {n} on its way?"))
        if n in (5, 60):
            event.remove(engine, "before_cursor_execute", count)
            counts[n] = len(statements)
    assert counts[5] > 0 and counts[60] == counts[5]


async def test_an_order_question_before_the_assistants_latest_session_still_makes_a_survey_order_related(
    session_factory,
):
    """A long conversation spans several Rasa sessions; the survey rules read the topics asked in
    the whole conversation, from the stored messages' intents, not only the session's events."""
    from feedback.surveys.state import order_related
    from tests.support.content import project_content

    router = make_router(session_factory, ScriptedAssistant(intent="faq/order_status"))
    await router.handle(inbound("where is my order?"))
    other = make_router(session_factory, ScriptedAssistant(intent="faq/payment_methods"))
    await other.handle(inbound("can I pay with paypal", sender="c2"))
    surveys = project_content().surveys
    with session_factory() as session:
        first, second = session.execute(select(Conversation).order_by(Conversation.id)).scalars().all()
        assert order_related(session, first, [], surveys) is True
        assert order_related(session, second, [], surveys) is False
        assert order_related(session, second, ["order_status"], surveys) is True
