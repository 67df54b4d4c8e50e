"""Action tests as in Rasa's demos: the real domain, a fresh CollectingDispatcher, tracker events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.assistant.actions.action_answer_topic import ActionAnswerTopic
from bot.assistant.actions.action_did_you_mean import ActionDidYouMean
from bot.assistant.actions.action_record_faq_feedback import ActionRecordFaqFeedback
from bot.assistant.actions.action_request_human import ActionRequestHuman
from bot.assistant.actions.action_session_start import ActionSessionStart
from bot.storage.models import Conversation, FaqFeedback, HandoffRequest
from tests.support.actions import action, run, user
from tests.support.content import project_content

pytestmark = pytest.mark.usefixtures("installed_action_context")


async def test_session_start_sets_the_shop_name(installed_action_context):
    from dataclasses import replace

    from bot.assistant.actions.support.context import install

    install(replace(installed_action_context, shop_name="Acme Outdoor"))
    events, messages = await run(ActionSessionStart, [], slots={"topic": "old", "shop_name": "x"})
    names = [(e["event"], e.get("name"), e.get("value")) for e in events]
    assert names[0] == ("session_started", None, None)
    assert ("slot", "shop_name", "Acme Outdoor") in names
    assert ("slot", "topic", "old") in names
    assert names[-1] == ("action", "action_listen", None)
    assert messages == []


async def test_answer_topic_answers_a_known_topic_and_asks_if_it_helped():
    events, messages = await run(ActionAnswerTopic, [], slots={"topic": "refund_timing"})
    assert [m["response"] for m in messages] == ["utter_faq/refund_timing", "utter_ask_faq_helpful"]
    assert events == [{"event": "slot", "timestamp": None, "name": "topic", "value": None}]


@pytest.mark.parametrize("topic", ["no_such_topic", "../etc", None, "<script>"])
async def test_answer_topic_refuses_unknown_topics(topic):
    _, messages = await run(ActionAnswerTopic, [], slots={"topic": topic})
    assert [m["response"] for m in messages] == ["utter_unknown_topic"]


async def test_did_you_mean_offers_the_two_closest_topics_and_something_else():
    miss = user(
        "nlu_fallback",
        ranking=[{"name": "nlu_fallback"}, {"name": "faq"}, {"name": "greet"}, {"name": "request_human"}],
        selector=[
            {"intent_response_key": "faq/delivery_costs"},
            {"intent_response_key": "faq/delivery_times"},
            {"intent_response_key": "faq/order_status"},
        ],
    )
    _, messages = await run(ActionDidYouMean, [miss])
    assert messages[0]["response"] == "utter_did_you_mean"
    assert messages[0]["buttons"] == [
        {"title": "Delivery costs", "payload": '/choose_topic{"topic":"delivery_costs"}'},
        {"title": "Delivery times", "payload": '/choose_topic{"topic":"delivery_times"}'},
        {"title": "Something else", "payload": "/deny"},
    ]


async def test_did_you_mean_suggests_other_intents_by_title():
    miss = user(
        "nlu_fallback",
        ranking=[{"name": "nlu_fallback"}, {"name": "request_human"}, {"name": "out_of_scope"}, {"name": "help"}],
    )
    _, messages = await run(ActionDidYouMean, [miss])
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_human", "/help", "/deny"]


@pytest.mark.parametrize(
    "between, bot_said, response",
    [
        pytest.param("deny", "utter_rephrase", "utter_offer_human", id="second-miss-in-a-row-offers-a-person"),
        pytest.param("faq/order_status", "utter_faq", "utter_did_you_mean", id="miss-after-an-understood-one-is-first"),
    ],
)
async def test_what_a_miss_brings_depends_on_the_message_before(between, bot_said, response):
    events = [
        user("nlu_fallback", ts=1),
        action("action_did_you_mean"),
        user(between, ts=2),
        action(bot_said),
        user("nlu_fallback", ts=3),
    ]
    _, messages = await run(ActionDidYouMean, events)
    assert [m["response"] for m in messages] == [response]


@pytest.mark.parametrize(
    "answer, helpful, response", [("affirm", True, "utter_faq_helpful_yes"), ("deny", False, "utter_faq_helpful_no")]
)
async def test_faq_feedback_is_recorded_once_per_answer(session_factory, conversation, answer, helpful, response):
    events = [
        user("faq/returns_window", ts=10.5),
        action("utter_faq"),
        action("utter_ask_faq_helpful"),
        user(answer, ts=11),
    ]
    _, messages = await run(ActionRecordFaqFeedback, events)
    assert [m["response"] for m in messages] == [response]
    await run(ActionRecordFaqFeedback, events + [user(answer, ts=12)])  # the button tapped twice
    with session_factory() as session:
        rows = session.execute(select(FaqFeedback)).scalars().all()
    assert [(r.topic, r.helpful, r.question_key) for r in rows] == [("returns_window", helpful, "10.5")]


async def test_faq_feedback_for_a_topic_picked_from_a_button(session_factory, conversation):
    picked = user("choose_topic", ts=20, entities=[{"entity": "topic", "value": "gift_cards"}])
    await run(ActionRecordFaqFeedback, [picked, action("action_answer_topic"), user("affirm", ts=21)])
    with session_factory() as session:
        assert session.execute(select(FaqFeedback.topic)).scalar_one() == "gift_cards"


async def test_request_human_records_one_open_request_with_its_reason(session_factory, conversation):
    # The customer taps the person the bot offered after not understanding.
    events = [user("nlu_fallback", ts=1), action("action_did_you_mean"), user("request_human", "/request_human", ts=2)]
    result, first = await run(ActionRequestHuman, events)
    _, again = await run(ActionRequestHuman, events + [action("action_request_human"), user("request_human", ts=3)])
    rules = project_content().escalation
    # In business hours the desk adds the customer's place in the queue after the "open" message.
    assert first[0]["text"] == rules.messages["no_hours"] or first[0]["text"].startswith(
        (rules.messages["open"], rules.messages["closed"].split("{when}")[0])
    )
    assert [m["text"] for m in again] == [rules.messages["already"]]
    # Whatever form was running stops.
    assert {"event": "active_loop", "timestamp": None, "name": None} in result
    with session_factory() as session:
        rows = session.execute(select(HandoffRequest)).scalars().all()
        state = session.execute(select(Conversation.state)).scalar_one()
    assert [(r.reason, r.status) for r in rows] == [("repeated_fallback", "open")]
    assert state == "awaiting_human"


@pytest.mark.parametrize("text", ["I want to talk to a person", "/human"])
async def test_asking_for_a_person_right_after_a_did_you_mean_is_a_customer_request(
    session_factory, conversation, text
):
    await run(
        ActionRequestHuman,
        [user("nlu_fallback", ts=1), action("action_did_you_mean"), user("request_human", text, ts=2)],
    )
    with session_factory() as session:
        assert session.execute(select(HandoffRequest.reason)).scalar_one() == "customer_request"


async def test_request_human_without_an_offer_is_a_customer_request(session_factory, conversation):
    await run(ActionRequestHuman, [user("greet", ts=1), action("utter_greet"), user("request_human", ts=2)])
    with session_factory() as session:
        assert session.execute(select(HandoffRequest.reason)).scalar_one() == "customer_request"
