"""End to end: the real server, the trained model and the database, over HTTP."""

from __future__ import annotations

import asyncio
import json
from functools import partial

import aiohttp
import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Conversation, FaqFeedback, HandoffRequest, Message
from tests.support.domain_texts import response_texts as shop_response_texts
from tests.support.e2e_server import started_server

SHOP = "Test Shop & Co"

response_texts = partial(shop_response_texts, shop=SHOP)


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("e2e"), {"CXBOT_SHOP_NAME": SHOP}) as running:
        yield running


def send(server, sender: str, message, **extra) -> requests.Response:
    return requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": message, **extra}, timeout=60
    )


def test_health_reports_the_loaded_model(server, model_path):
    assert server.health["status"] == "ok"
    assert server.health["model"] == model_path.name
    assert requests.get(f"{server.url}/webhooks/rest/", timeout=5).json() == {"status": "ok"}


def test_greeting_uses_the_configured_shop_name_and_offers_topics(server):
    replies = send(server, "greeter", "hello there").json()
    assert replies[0]["recipient_id"] == "greeter"
    assert replies[0]["text"] in response_texts("utter_greet")
    assert SHOP in replies[0]["text"]
    assert len(replies[1]["buttons"]) == 6
    # Doubled braces in the domain YAML come out as the JSON payload Rasa parses.
    assert replies[1]["buttons"][0]["payload"] == '/choose_topic{"topic":"order_status"}'


@pytest.mark.parametrize(
    "question, topic",
    [
        ("where is my parcel? it hasn't arrived", "order_status"),
        ("how much is shipping", "delivery_costs"),
        ("can I pay with paypal?", "payment_methods"),
        ("I forgot my password", "account_password"),
    ],
)
def test_faq_is_answered_then_asks_if_it_helped(server, question, topic):
    replies = send(server, f"faq-{topic}", question).json()
    assert replies[0]["text"] in response_texts(f"utter_faq/{topic}")
    assert replies[1]["text"] == "Did that answer your question?"
    assert [b["payload"] for b in replies[1]["buttons"]] == ["/affirm", "/deny"]


def test_faq_feedback_by_button_is_stored_once(server, db):
    send(server, "rater", "how long do refunds take?")
    first = send(server, "rater", "/affirm").json()
    assert first[0]["text"] in response_texts("utter_faq_helpful_yes")
    send(server, "rater", "/affirm")  # tapped twice
    rows = db.execute(select(FaqFeedback).join(Conversation).where(Conversation.public_id.isnot(None))).scalars().all()
    assert [(r.topic, r.helpful) for r in rows if r.topic == "refund_timing"] == [("refund_timing", True)], [
        (r.topic, r.question_key) for r in rows
    ]


def test_topic_button_answers_the_topic(server):
    replies = send(server, "picker", '/choose_topic{"topic":"gift_cards"}').json()
    assert replies[0]["text"] in response_texts("utter_faq/gift_cards")


def test_two_misses_offer_a_person_and_the_request_is_recorded(server, db):
    first = send(server, "lost", "/nlu_fallback").json()
    assert first[0]["text"] in response_texts("utter_did_you_mean")
    assert first[0]["buttons"][-1] == {"title": "Something else", "payload": "/deny"}
    second = send(server, "lost", "/nlu_fallback").json()
    assert second[0]["text"] in response_texts("utter_offer_human")
    third = send(server, "lost", "/request_human").json()
    assert third[0]["text"].startswith("I've asked a person from our team to take over this chat.")
    reasons = db.execute(select(HandoffRequest.reason)).scalars().all()
    assert "repeated_fallback" in reasons


@pytest.mark.parametrize(
    "message",
    ["what's the capital of mongolia", "write me a poem about the sea", "zxq blorp fnord"],
)
def test_out_of_scope_is_not_answered_as_an_faq(server, message):
    replies = send(server, f"oos-{abs(hash(message))}", message).json()
    allowed = response_texts("utter_out_of_scope") | response_texts("utter_did_you_mean")
    assert replies[0]["text"] in allowed


@pytest.mark.parametrize(
    "message",
    ["سفارش من کجاست؟", "where is my order 📦😡", "<script>alert('x')</script>", "مرحبا where is my order?"],
)
def test_emoji_rtl_and_html_are_answered_and_stored_verbatim(server, db, message):
    response = send(server, "intl", message)
    assert response.status_code == 200
    assert response.json() and all(r.get("text") or r.get("buttons") for r in response.json())
    stored = db.execute(select(Message.text).where(Message.direction == "customer")).scalars().all()
    assert message in stored


@pytest.mark.parametrize(
    "body, status, reason",
    [
        (b"", 400, "JSON"),
        (b"{nope", 400, "JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", 400, "JSON"),
        (json.dumps({"message": "hi"}).encode(), 400, "sender"),
        (json.dumps({"sender": 3.5, "message": "hi"}).encode(), 400, "sender"),
        (json.dumps({"sender": "bad", "message": ""}).encode(), 400, "empty"),
        (json.dumps({"sender": "bad", "message": " \n\t "}).encode(), 400, "empty"),
        (json.dumps({"sender": "bad", "message": 12}).encode(), 400, "string"),
        (json.dumps({"sender": "bad", "message": None}).encode(), 400, "string"),
        (json.dumps({"sender": "bad", "message": "a" * 10_000}).encode(), 413, "longer"),
        (json.dumps({"sender": "bad", "message": "a" * 100_000}).encode(), 413, "larger"),
    ],
)
def test_bad_input_gets_a_json_4xx_and_stores_nothing(server, db, body, status, reason):
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert db.execute(select(Message).where(Message.text.contains("aaaaaaaaaa"))).first() is None


def test_unknown_paths_answer_json(server):
    response = requests.get(f"{server.url}/nope", timeout=5)
    assert response.status_code == 404
    assert "error" in response.json()


def test_a_retried_message_id_takes_effect_once(server, db):
    first = send(server, "retrier", "how do I return an item?", message_id="m-42").json()
    again = send(server, "retrier", "how do I return an item?", message_id="m-42").json()
    assert again == first
    count = db.execute(select(Message).where(Message.external_id == "m-42")).scalars().all()
    assert len(count) == 1


def test_concurrent_messages_in_one_conversation_stay_in_order(server, db):
    questions = [
        ("where is my order", "order_status"),
        ("what payment methods do you take", "payment_methods"),
        ("how long do I have to return something", "returns_window"),
        ("do you sell gift cards", "gift_cards"),
        ("how do I reset my password", "account_password"),
    ]

    async def burst():
        async with aiohttp.ClientSession() as session:

            async def post(text):
                async with session.post(
                    f"{server.url}/webhooks/rest/webhook", json={"sender": "burst", "message": text}
                ) as response:
                    return await response.json()

            tasks = []
            for text, _ in questions:
                tasks.append(asyncio.create_task(post(text)))
                await asyncio.sleep(0.01)  # sent in this order, without waiting for answers
            return await asyncio.gather(*tasks)

    results = asyncio.run(burst())
    for (text, topic), replies in zip(questions, results, strict=False):
        assert replies[0]["text"] in response_texts(f"utter_faq/{topic}"), text
    conversation = db.execute(
        select(Conversation).join(Conversation.customer).where(Conversation.customer.has(external_id="burst"))
    ).scalar_one()
    rows = (
        db.execute(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id))
        .scalars()
        .all()
    )
    customer_rows = [m for m in rows if m.direction == "customer"]
    assert [m.text for m in customer_rows] == [q for q, _ in questions]
    # Each question's replies are stored right after it: no interleaving.
    current = None
    for row in rows:
        if row.direction == "customer":
            current = row.id
        else:
            assert row.reply_to_id == current


def test_sentiment_is_stored_for_customer_messages(server, db):
    send(server, "grumpy", "this is the worst, most terrible shop ever")
    row = db.execute(select(Message).where(Message.text == "this is the worst, most terrible shop ever")).scalar_one()
    assert row.polarity < 0 and row.subjectivity > 0 and row.intent
    conversation = db.get(Conversation, row.conversation_id)
    assert conversation.sentiment_rolling < 0


def test_ctrl_c_stops_the_server_cleanly(server):
    """Runs last in this module: Ctrl-C (SIGINT) ends the server with exit code 0."""
    import signal

    assert server.stop(signal.SIGINT) == 0
    assert "Traceback" not in server.log()
    assert "Stopped." in server.log()
