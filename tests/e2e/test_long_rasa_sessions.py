"""A long conversation stays one conversation while Rasa reads a bounded tracker for each message
(issue 21, point 8): after CXBOT_TRACKER_SESSION_MESSAGES customer messages Rasa starts a new
session at the next quiet point, slots carried over, a running form left to finish first. Through
the real router and trained model; events read are counted, not time."""

from __future__ import annotations

from itertools import pairwise

import pytest
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot.app.settings import load_settings
from bot.assistant.rasa import RasaAssistant
from bot.assistant.sessions import QUESTION_ACTIONS
from bot.conversation.messages import InboundMessage
from bot.storage.models import Compensation, Conversation, RecoveryCase
from tests.support.routing import make_router

# The benchmark's customer (bench/load.py): FAQ questions, a greeting, thanks, over and over.
QUESTIONS = [
    "where is my order?",
    "how much is delivery",
    "can I pay with paypal",
    "how do I return something",
    "hello",
    "when will I get my refund",
    "do you ship abroad",
    "thanks",
]


@pytest.fixture
def events_read(monkeypatch) -> list[int]:
    """The number of events Rasa's tracker store reads back, once per read."""
    counts: list[int] = []
    from_dict = DialogueStateTracker.from_dict

    def counting(sender_id, events_as_dict, slots=None, max_event_history=None):
        counts.append(len(events_as_dict))
        return from_dict(sender_id, events_as_dict, slots, max_event_history)

    monkeypatch.setattr(DialogueStateTracker, "from_dict", counting)
    return counts


def assistant_with(model_path, content, monkeypatch, limit: int) -> RasaAssistant:
    monkeypatch.setenv("CXBOT_TRACKER_SESSION_MESSAGES", str(limit))
    return RasaAssistant.load(model_path, load_settings(), content)


async def full_tracker(assistant: RasaAssistant, conversation_id: str) -> DialogueStateTracker:
    tracker = await assistant.agent.tracker_store.retrieve_full_tracker(conversation_id)
    assert tracker is not None
    return tracker


def session_starts(tracker: DialogueStateTracker) -> list[int]:
    """For each SessionStarted, how many customer messages came before it."""
    starts, said = [], 0
    for event in tracker.events:
        said += isinstance(event, UserUttered)
        if isinstance(event, SessionStarted):
            starts.append(said)
    return starts


async def test_sixty_four_messages_one_conversation_and_a_bounded_tracker(
    model_path, content, session_factory, monkeypatch, events_read
):
    assistant = assistant_with(model_path, content, monkeypatch, limit=4)
    router = make_router(session_factory, assistant)
    per_message = []
    for n in range(64):
        reads = len(events_read)
        await router.handle(InboundMessage(channel="rest", sender_id="long", text=QUESTIONS[n % len(QUESTIONS)]))
        per_message.append(sum(events_read[reads:]))

    with session_factory() as session:
        [conversation] = session.execute(select(Conversation)).scalars().all()
    assert conversation.customer_message_count == 64
    tracker = await full_tracker(assistant, conversation.public_id)
    starts = session_starts(tracker)
    assert len(starts) >= 8 and starts[0] == 0  # a new session every few messages
    assert all(b - a <= 16 for a, b in pairwise(starts))  # never more than 4 x the limit
    assert max(per_message[32:]) <= max(per_message[:32])  # what Rasa reads does not grow
    assert max(per_message) < len(tracker.events) / 6
    assert tracker.get_slot("shop_name") == content_shop_name()
    for position, event in enumerate(tracker.events):
        if isinstance(event, SessionStarted) and position > 2:
            before = [e.action_name for e in list(tracker.events)[:position] if isinstance(e, ActionExecuted)]
            asked = [a for a in before if a not in ("action_listen", "action_session_start")][-1]
            assert asked not in QUESTION_ACTIONS  # each new session at a quiet point


async def current_slots(assistant: RasaAssistant, conversation_id: str) -> dict:
    tracker = await assistant.agent.tracker_store.retrieve(conversation_id)
    assert tracker is not None
    slots = tracker.current_slot_values()
    slots.pop("session_started_metadata")  # the new message's metadata, set by Rasa at a session start
    return slots


def content_shop_name() -> str:
    return load_settings().shop_name


async def test_a_recovery_half_done_at_the_limit_is_finished_then_the_session_restarts(
    model_path, content, session_factory, monkeypatch, events_read
):
    assistant = assistant_with(model_path, content, monkeypatch, limit=3)
    router = make_router(session_factory, assistant)

    async def say(text: str):
        return await router.handle(InboundMessage(channel="rest", sender_id="anna", text=text))

    def tap(replies, title: str) -> str:
        return next(b.payload for r in replies for b in r.buttons if b.title == title)

    await say("hello")
    await say("thanks")
    asked = await say("my parcel is three weeks late and nobody answers")  # message 3: the limit
    assert any("order number" in r.text for r in asked)
    offer = await say("sure, it's 4829173")  # the form is running: no new session yet
    assert any("Would you like that?" in r.text for r in offer)
    issued = await say(tap(offer, "Yes, please"))
    nps = await say(tap(issued, "Easy"))
    assert any("how likely are you to recommend us" in r.text for r in nps)
    reason = await say("nine")
    assert any("main reason for your score" in r.text for r in reason)
    await say("you fixed it quickly and kindly")
    with session_factory() as session:
        [conversation] = session.execute(select(Conversation)).scalars().all()
        public_id = conversation.public_id
    assert session_starts(await full_tracker(assistant, public_id)) == [0]  # nothing cut the flow short
    before = await current_slots(assistant, public_id)

    # Quiet points, past the limit: a new session, nothing else said. (The reason above may read
    # as not understood, a run that "did you mean" counts: then the session waits one message.)
    greeting = await say("hello")
    assert [r.response for r in greeting] == ["utter_greet", "utter_help"]
    assert [r.response for r in await say("thanks")] == ["utter_youre_welcome"]
    tracker = await full_tracker(assistant, public_id)
    starts = session_starts(tracker)
    assert len(starts) == 2 and starts[1] in (8, 9)
    current = await assistant.agent.tracker_store.retrieve(public_id)
    assert current is not None and sum(isinstance(e, UserUttered) for e in current.events) == 10 - starts[1]
    assert await current_slots(assistant, public_id) == before  # every slot carried over
    assert before["complaint_category"] == "late_delivery" and before["recovery_case_id"] is not None
    assert before["shop_name"] == content_shop_name()
    with session_factory() as session:
        case = session.execute(select(RecoveryCase)).scalar_one()
        coupons = session.execute(select(Compensation)).scalars().all()
        assert session.execute(select(Conversation)).scalar_one().customer_message_count == 10
    assert (case.order_number, case.status) == ("4829173", "recovered") and len(coupons) == 1


async def test_at_four_times_the_limit_a_session_starts_even_in_a_form_and_the_form_goes_on(
    model_path, content, session_factory, monkeypatch, events_read
):
    assistant = assistant_with(model_path, content, monkeypatch, limit=1)
    router = make_router(session_factory, assistant)

    async def say(text: str):
        return await router.handle(InboundMessage(channel="rest", sender_id="carl", text=text))

    await say("hello")
    await say("where is my order?")  # a new session (quiet, past the limit); then a question
    await say("my parcel is three weeks late and nobody answers")
    await say("hmm")  # asked again for the order number
    await say("blue")  # again: the fourth message of this session, the form still running
    offer = await say("sure, it's 4829173")  # a new session first, and the form takes the answer
    assert any("Would you like that?" in r.text for r in offer)
    with session_factory() as session:
        [conversation] = session.execute(select(Conversation)).scalars().all()
        case = session.execute(select(RecoveryCase)).scalar_one()
    assert (case.category, case.order_number) == ("late_delivery", "4829173")
    assert session_starts(await full_tracker(assistant, conversation.public_id)) == [0, 1, 5]
