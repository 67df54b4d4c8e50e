"""Webhook mode across a restart of the real server: Telegram delivers an update again after the
server restarted (a webhook retry that spans the restart). What reached the customer is not sent
again, what never did is; a tap on an older question's keyboard is answered without effect."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, Customer, FaqFeedback
from tests.support.fake_telegram import TOKEN, FakeTelegram, callback_update, started_on_telegram, text_update

SECRET = "restart-secret"
CHAT = 9400
BAD_REQUEST = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}


@pytest.fixture(scope="module")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


def post(server, body) -> requests.Response:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    while True:
        response = requests.post(f"{server.url}/webhooks/telegram/webhook", json=body, headers=headers, timeout=60)
        if response.status_code != 503 or "starting" not in response.text:
            return response


def feedback(database_url: str) -> list[tuple[str, bool]]:
    engine = create_engine(database_url, future=True)
    with Session(engine) as session:
        rows = session.execute(
            select(FaqFeedback.topic, FaqFeedback.helpful)
            .join(Conversation)
            .join(Customer)
            .where(Customer.external_id == str(CHAT))
            .order_by(FaqFeedback.id)
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def test_a_restart_between_two_deliveries_sends_nothing_twice(model_path, fake, tmp_path):
    env = {
        "CXBOT_TELEGRAM_BOT_TOKEN": TOKEN,
        "CXBOT_TELEGRAM_MODE": "webhook",
        "CXBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.invalid/webhooks/telegram/webhook",
        "CXBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    delivery = text_update(fake.next_update_id(), CHAT, 1, "how long does delivery take?")
    lost = text_update(fake.next_update_id(), CHAT + 1, 1, "do you sell gift cards")
    with started_on_telegram(fake, tmp_path, env, ready_call="setWebhook") as first:
        assert post(first, delivery).status_code == 200
        question, keyboard = fake.sent_to(CHAT)
        assert keyboard.params["text"] == "Did that answer your question?"
        fake.fail_next("sendMessage", 400, BAD_REQUEST)
        assert post(first, lost).status_code == 503  # never reached the customer: Telegram retries
        assert first.stop() == 0

    with started_on_telegram(fake, tmp_path, env, ready_call="setWebhook") as second:
        assert post(second, delivery).status_code == 200
        assert fake.sent_to(CHAT) == [question, keyboard]  # answered before the restart: not again
        assert post(second, lost).status_code == 200
        assert len(fake.sent_to(CHAT + 1)) == 2  # the reply that never arrived is sent now

        # A newer question; then a tap on the older question's keyboard.
        assert post(second, text_update(fake.next_update_id(), CHAT, 2, "can I pay with paypal?")).status_code == 200
        newer = fake.sent_to(CHAT)[-1]
        assert newer.params["text"] == "Did that answer your question?" and newer is not keyboard
        before = len(fake.sent_to(CHAT))
        assert (
            post(second, callback_update(fake.next_update_id(), keyboard, "No", query_id="q-stale")).status_code == 200
        )
        answer = [c for c in fake.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == "q-stale"]
        assert answer[0].params["text"].startswith("That question has moved on")
        assert len(fake.sent_to(CHAT)) == before
        assert feedback(second.database_url) == []

        # The current keyboard still works, once.
        tap = callback_update(fake.next_update_id(), newer, "Yes, thanks", query_id="q-current")
        assert post(second, tap).status_code == 200
        assert len(fake.sent_to(CHAT)) > before
        assert feedback(second.database_url) == [("payment_methods", True)]
    assert not [c for c in fake.calls_to("editMessageText", ok_only=False) if c.status != 200]
