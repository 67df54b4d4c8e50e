"""Telegram across two real replicas on PostgreSQL and Redis, against the fake Bot API: a webhook
update delivered to both is answered once; the polling lease moves when its holder dies."""

from __future__ import annotations

import itertools
import signal
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, func, select

from bot.storage.models import Conversation, Customer, Message
from tests.support import redis_server
from tests.support.cluster import cluster
from tests.support.fake_telegram import TOKEN, text_update

SECRET = "cluster-webhook-secret"
_chats = itertools.count(9101)


@pytest.fixture(autouse=True)
def _needs_redis():
    if not redis_server.installed():
        pytest.fail("redis-server is not installed; make test installs it (scripts/setup-system)")


def customer_messages(database_url: str, chat_id: int) -> int:
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        count = connection.execute(
            select(func.count(Message.id))
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.channel == "telegram", Customer.external_id == str(chat_id))
            .where(Message.direction == "customer")
        ).scalar_one()
    engine.dispose()
    return count


def test_a_webhook_update_delivered_to_two_replicas_is_answered_once(model_path, postgres, telegram, tmp_path):
    env = {
        "CXBOT_TELEGRAM_API_URL": telegram.url,
        "CXBOT_TELEGRAM_BOT_TOKEN": TOKEN,
        "CXBOT_TELEGRAM_MODE": "webhook",
        "CXBOT_TELEGRAM_WEBHOOK_URL": "https://bot.example.invalid/webhooks/telegram/webhook",
        "CXBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    with cluster(postgres, tmp_path, replicas=2, proxy=False, **env) as running:
        telegram.wait_for(lambda: len(telegram.calls_to("setWebhook")) >= 2)
        chat = next(_chats)
        update = text_update(telegram.next_update_id(), chat, 1, "can I pay with paypal?")

        def deliver(url: str) -> int:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            response = requests.post(f"{url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=90)
            return response.status_code

        with ThreadPoolExecutor(2) as pool:
            statuses = list(pool.map(deliver, [replica.url for replica in running.replicas]))
        # One replica answers it; the other says done (200) or busy (503, Telegram would resend).
        assert 200 in statuses and set(statuses) <= {200, 503}, statuses
        telegram.wait_for(lambda: telegram.sent_to(chat))
        # A resend after both finished changes nothing either.
        assert deliver(running.replicas[1].url) == 200
        sent = [call.params["text"] for call in telegram.sent_to(chat)]
        assert len(sent) == len(set(sent)), sent  # one turn's replies, not two
        assert customer_messages(running.database_url, chat) == 1


def test_the_polling_lease_moves_to_another_replica_when_its_holder_dies(model_path, postgres, telegram, tmp_path):
    env = {"CXBOT_TELEGRAM_API_URL": telegram.url, "CXBOT_TELEGRAM_BOT_TOKEN": TOKEN}
    with cluster(postgres, tmp_path, replicas=1, proxy=False, **env) as running:
        first = running.replicas[0]
        chat = next(_chats)
        telegram.inject(text_update(telegram.next_update_id(), chat, 1, "hello"))
        telegram.wait_for(lambda: telegram.sent_to(chat))
        # The first replica holds the lease (it was alone); a second one starts and waits.
        (second,) = running.start_replicas(1, env)
        answered = len(telegram.sent_to(chat))
        first.stop(signal.SIGKILL)
        telegram.inject(text_update(telegram.next_update_id(), chat, 2, "how much is delivery?"))
        # The lease outlives its dead holder by at most 24 s (POLL_LEASE_SECONDS); then the
        # second replica polls and answers.
        telegram.wait_for(lambda: len(telegram.sent_to(chat)) > answered, timeout=90)
        assert second.process.poll() is None
        assert customer_messages(running.database_url, chat) == 2
