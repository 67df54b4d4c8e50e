"""End to end over HTTP with the trained model: a question during each survey kind is answered
and the survey asked again once; emoji alone get their decided meaning; the handoff reason
follows what the customer asked."""

from __future__ import annotations

from functools import partial

import pytest
import requests
import yaml
from sqlalchemy import select

from bot.storage.models import Conversation, Customer, FaqFeedback, HandoffRequest, Message
from tests.support.domain_texts import english_texts as shop_english_texts
from tests.support.domain_texts import response_texts as shop_response_texts
from tests.support.e2e_server import started_server

SHOP = "Question Shop"
SURVEYS = yaml.safe_load(open("content/surveys.yml", encoding="utf-8"))["surveys"]
QUESTION = {kind: SURVEYS[kind]["question"] for kind in ("ces", "nps", "csat")}
response_texts = partial(shop_response_texts, shop=SHOP)
english_texts = partial(shop_english_texts, shop=SHOP)


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("e2e-questions"), {"CXBOT_SHOP_NAME": SHOP}) as running:
        yield running


def send(server, sender: str, message: str) -> list[str]:
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200, response.text
    return [r.get("text", "") for r in response.json()]


def customer_rows(db, sender: str) -> list[Message]:
    return (
        db.execute(
            select(Message)
            .join(Conversation)
            .join(Customer)
            .where(Customer.external_id == sender, Message.direction == "customer")
            .order_by(Message.id)
        )
        .scalars()
        .all()
    )


def feedback(db, sender: str) -> list[tuple[str, bool]]:
    db.expire_all()
    return [
        tuple(row)
        for row in db.execute(
            select(FaqFeedback.topic, FaqFeedback.helpful)
            .join(Conversation)
            .join(Customer)
            .where(Customer.external_id == sender)
        )
    ]


def asked_again_after_the_answer(replies: list[str], kind: str) -> None:
    assert replies[0] in response_texts("utter_faq/international_delivery"), replies
    assert replies[1:] == [QUESTION[kind]]


def test_a_question_during_ces_and_csat_is_answered_and_the_survey_asked_again(server):
    send(server, "dana", "how long does delivery take?")
    assert QUESTION["ces"] in send(server, "dana", "/affirm")
    asked_again_after_the_answer(send(server, "dana", "do you ship to Norway?"), "ces")
    csat = send(server, "dana", "easy")
    assert QUESTION["csat"] in csat
    asked_again_after_the_answer(send(server, "dana", "do you ship to Norway?"), "csat")
    assert "Thank you" in " ".join(send(server, "dana", "6"))


def test_a_question_during_nps_is_answered_and_a_second_question_leaves_the_survey(server):
    send(server, "eli", "what payment methods do you accept?")
    send(server, "eli", "/deny")
    assert QUESTION["nps"] in send(server, "eli", "bye")
    asked_again_after_the_answer(send(server, "eli", "do you ship to Norway?"), "nps")
    moved_on = send(server, "eli", "how long do refunds take?")
    assert moved_on[0] in response_texts("utter_faq/refund_timing")
    assert QUESTION["nps"] not in moved_on and "Did that answer your question?" in moved_on


def test_angry_emoji_count_in_the_mood_and_get_no_did_you_mean(server, db):
    replies = send(server, "finn", "😡😡😡")
    assert replies == list(english_texts("utter_emoji_only"))
    assert not any(r in response_texts("utter_did_you_mean") for r in replies)
    [row] = customer_rows(db, "finn")
    assert row.text == "😡😡😡" and row.polarity < 0 and row.intent == "emoji_only"


def test_mixed_emoji_are_not_a_yes_but_a_thumbs_up_is(server, db):
    send(server, "gus", "how long does delivery take?")
    assert send(server, "gus", "😀🎉👍") == list(english_texts("utter_emoji_only"))
    assert feedback(db, "gus") == []
    send(server, "hal", "can I pay with paypal?")
    assert send(server, "hal", "👍")[0] in response_texts("utter_faq_helpful_yes")
    assert feedback(db, "hal") == [("payment_methods", True)]


def test_asking_for_a_person_right_after_a_did_you_mean_is_a_customer_request(server, db):
    assert send(server, "ivy", "/nlu_fallback")[0] in response_texts("utter_did_you_mean")
    send(server, "ivy", "I want to talk to a person")
    reason = db.execute(
        select(HandoffRequest.reason).join(Conversation).join(Customer).where(Customer.external_id == "ivy")
    ).scalar_one()
    assert reason == "customer_request"
