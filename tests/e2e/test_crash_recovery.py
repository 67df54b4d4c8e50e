"""The real server killed (SIGKILL) in the middle of traffic and started again: customers who
retry their messages by `message_id` get every message stored once and answered once, in order."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, select

from bot.storage.models import Conversation, Customer, Message
from tests.support.e2e_server import RunningServer

CUSTOMERS = 20
MESSAGES = 10
KILL_AFTER_ANSWERS = 50
QUESTIONS = ("how much is shipping", "can I pay with paypal?", "I forgot my password", "how do I return an item?")


class Traffic:
    """Customers sending in turn, each retrying a failed message with the same id until answered."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers = 0
        self.replies: dict[str, list[str]] = {}
        self.lock = threading.Lock()
        self.done = threading.Event()

    def send(self, customer: int, number: int) -> None:
        sender, message_id = f"crash-{customer}", f"crash-{customer}-{number}"
        body = {"sender": sender, "message": QUESTIONS[number % len(QUESTIONS)], "message_id": message_id}
        while True:
            try:
                response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=30)
            except requests.RequestException:
                time.sleep(0.2)  # the server is down: the client tries again, same id
                continue
            if response.status_code == 503:
                time.sleep(0.2)  # starting
                continue
            assert response.status_code == 200, response.text
            with self.lock:
                self.answers += 1
                self.replies[message_id] = [r.get("text", "") for r in response.json()]
            return

    def customer(self, customer: int) -> None:
        for number in range(MESSAGES):
            self.send(customer, number)


def test_a_killed_server_leaves_no_message_unanswered_or_answered_twice(model_path, tmp_path):
    server = RunningServer(tmp_path)
    server.wait_until_ready()
    traffic = Traffic(server.url)
    pool = ThreadPoolExecutor(max_workers=CUSTOMERS)
    customers = [pool.submit(traffic.customer, number) for number in range(CUSTOMERS)]
    try:
        while traffic.answers < KILL_AFTER_ANSWERS:
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
        again = RunningServer(tmp_path)
        traffic.url = again.url
        again.wait_until_ready()
        for customer in customers:
            customer.result(timeout=600)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        server.stop()
    again.stop()

    engine = create_engine(server.database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Message, Customer.external_id)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .order_by(Message.id)
        ).all()
    engine.dispose()
    customer_messages = [row for row in rows if row.direction == "customer"]
    replies: dict[int, list] = {}
    for row in rows:
        if row.reply_to_id is not None:
            replies.setdefault(row.reply_to_id, []).append(row)
    # Stored once each, and all answered (the defect: some were stored and never answered).
    assert sorted(row.external_id for row in customer_messages) == sorted(traffic.replies)
    assert len(customer_messages) == CUSTOMERS * MESSAGES
    assert all(row.answered_at is not None for row in customer_messages)
    for row in customer_messages:
        answer = replies.get(row.id, [])
        # Answered once: one turn's replies are written in one go, with one timestamp.
        assert len({reply.created_at for reply in answer}) == 1, row.external_id
        assert [reply.text for reply in answer] == traffic.replies[row.external_id]
    for customer in range(CUSTOMERS):
        mine = [row for row in customer_messages if row.external_id.startswith(f"crash-{customer}-")]
        assert [row.external_id for row in mine] == [f"crash-{customer}-{n}" for n in range(MESSAGES)]
        # In order: each message's answer comes after the answer to the one before.
        blocks = [[reply.id for reply in replies[row.id]] for row in mine]
        assert all(max(before) < min(after) for before, after in zip(blocks, blocks[1:], strict=False))
