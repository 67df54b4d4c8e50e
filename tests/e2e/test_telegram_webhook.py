"""End to end in webhook mode: Telegram POSTs updates to the real server, with a secret token."""

from __future__ import annotations

from functools import partial

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, Customer, Message
from tests.support.domain_texts import response_texts as shop_response_texts
from tests.support.fake_telegram import TOKEN, started_on_telegram, text_update

SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://bot.example.invalid/webhooks/telegram/webhook"
SHOP = "Webhook Shop"

response_texts = partial(shop_response_texts, shop=SHOP)


@pytest.fixture(scope="module")
def server(model_path, telegram, tmp_path_factory):
    with started_on_telegram(
        telegram,
        tmp_path_factory.mktemp("telegram-webhook"),
        {
            "CXBOT_TELEGRAM_BOT_TOKEN": TOKEN,
            "CXBOT_TELEGRAM_MODE": "webhook",
            "CXBOT_TELEGRAM_WEBHOOK_URL": PUBLIC_URL,
            "CXBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "CXBOT_TELEGRAM_ALLOW_GROUPS": "true",
            "CXBOT_SHOP_NAME": SHOP,
        },
        ready_call="setWebhook",
    ) as running:
        yield running


def post(server, body, secret: str | None = SECRET) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    while True:
        response = requests.post(f"{server.url}/webhooks/telegram/webhook", json=body, headers=headers, timeout=60)
        if response.status_code != 503:  # Telegram, too, retries while the channel connects
            return response


def customer_texts(db: Session, chat_id: int) -> list[str]:
    return (
        db.execute(
            select(Message.text)
            .join(Conversation)
            .join(Customer)
            .where(
                Customer.channel == "telegram", Customer.external_id == str(chat_id), Message.direction == "customer"
            )
            .order_by(Message.id)
        )
        .scalars()
        .all()
    )


def test_the_webhook_is_registered_with_the_secret(server, telegram):
    hook = telegram.calls_to("setWebhook")[-1].params
    assert hook["url"] == PUBLIC_URL
    assert hook["secret_token"] == SECRET
    assert hook["allowed_updates"] == ["message", "edited_message", "callback_query"]
    assert not telegram.calls_to("getUpdates", ok_only=False)


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.upper()])
def test_a_wrong_or_missing_secret_gets_403_and_nothing_happens(server, telegram, db, secret):
    chat = 9100
    response = post(server, text_update(telegram.next_update_id(), chat, 1, "where is my order"), secret=secret)
    assert response.status_code == 403
    assert "secret" in response.json()["error"]
    assert telegram.sent_to(chat) == []
    assert customer_texts(db, chat) == []


def test_with_the_right_secret_the_update_is_answered_before_the_response(server, telegram, db):
    chat = 9200
    response = post(server, text_update(telegram.next_update_id(), chat, 1, "how long does delivery take?"))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    sent = telegram.sent_to(chat)
    assert sent[0].params["text"] in response_texts("utter_faq/delivery_times")
    assert sent[1].params["text"] == "Did that answer your question?"
    assert customer_texts(db, chat) == ["how long does delivery take?"]


def test_a_retried_webhook_delivery_takes_effect_once(server, telegram, db):
    chat = 9300
    update = text_update(telegram.next_update_id(), chat, 1, "can I pay with paypal?")
    assert post(server, update).status_code == 200
    assert post(server, update).status_code == 200
    assert len(telegram.sent_to(chat)) == 2
    assert customer_texts(db, chat) == ["can I pay with paypal?"]


@pytest.mark.parametrize("body", [[1, 2], {"message": "no update id"}, "text", {"update_id": "7"}])
def test_a_body_that_is_not_an_update_gets_400(server, body):
    response = post(server, body)
    assert response.status_code == 400
    assert "update" in response.json()["error"]


def test_groups_are_answered_when_allowed(server, telegram, db):
    group = -100777
    response = post(
        server, text_update(telegram.next_update_id(), group, 1, "do you sell gift cards", chat_type="group")
    )
    assert response.status_code == 200
    assert telegram.sent_to(group)[0].params["text"] in response_texts("utter_faq/gift_cards")
    assert customer_texts(db, group) == ["do you sell gift cards"]


def test_stopping_keeps_the_webhook_for_telegram_to_queue_updates(server, telegram):
    assert server.stop() == 0
    assert "Traceback" not in server.log()
    assert not telegram.calls_to("deleteWebhook")
