"""Customers over REST who retry a failed message with its `message_id`, as a careful client does;
and the check that each message was stored once and answered once, in order."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, select

from bot.storage.models import Conversation, Customer, Message

QUESTIONS = ("how much is shipping", "can I pay with paypal?", "I forgot my password", "how do I return an item?")


class Traffic:
    """`customers` customers sending `messages` messages each, in turn, to `url` (which may
    change while they run: a restarted server), each retrying until answered."""

    def __init__(self, url: str, *, customers: int = 20, messages: int = 10, prefix: str = "crash") -> None:
        self.url = url
        self.customers, self.messages, self.prefix = customers, messages, prefix
        self.answers = 0
        self.replies: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=customers)
        self._running: list = []

    def start(self) -> None:
        self._running = [self._pool.submit(self._customer, number) for number in range(self.customers)]

    def wait_for_answers(self, count: int) -> None:
        while self.answers < count:
            time.sleep(0.05)

    def finish(self, timeout: float = 600) -> None:
        try:
            for customer in self._running:
                customer.result(timeout=timeout)
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _send(self, customer: int, number: int) -> None:
        sender, message_id = f"{self.prefix}-{customer}", f"{self.prefix}-{customer}-{number}"
        body = {"sender": sender, "message": QUESTIONS[number % len(QUESTIONS)], "message_id": message_id}
        while True:
            try:
                response = requests.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60)
            except requests.RequestException:
                time.sleep(0.2)  # the server is down: the client tries again, same id
                continue
            if response.status_code in (502, 503, 504):
                time.sleep(0.2)  # starting, or the balancer found no replica for a moment
                continue
            assert response.status_code == 200, response.text
            with self._lock:
                self.answers += 1
                self.replies[message_id] = [r.get("text", "") for r in response.json()]
            return

    def _customer(self, customer: int) -> None:
        for number in range(self.messages):
            self._send(customer, number)

    def check(self, database_url: str) -> None:
        """Every message stored once and answered once (what the client got), in order per customer."""
        engine = create_engine(database_url, future=True)
        with engine.connect() as connection:
            rows = connection.execute(
                select(Message, Customer.external_id.label("sender"))
                .join(Conversation, Message.conversation_id == Conversation.id)
                .join(Customer, Conversation.customer_id == Customer.id)
                .where(Customer.external_id.like(f"{self.prefix}-%"))
                .order_by(Message.id)
            ).all()
        engine.dispose()
        customer_messages = [row for row in rows if row.direction == "customer"]
        replies: dict[int, list] = {}
        for row in rows:
            if row.reply_to_id is not None:
                replies.setdefault(row.reply_to_id, []).append(row)
        # Stored once each, and all answered (the defect: some were stored and never answered).
        assert sorted(row.external_id for row in customer_messages) == sorted(self.replies)
        assert len(customer_messages) == self.customers * self.messages
        assert all(row.answered_at is not None for row in customer_messages)
        for row in customer_messages:
            answer = replies.get(row.id, [])
            # Answered once: one turn's replies are written in one go, with one timestamp.
            assert len({reply.created_at for reply in answer}) == 1, row.external_id
            assert [reply.text for reply in answer] == self.replies[row.external_id]
        for customer in range(self.customers):
            mine = [row for row in customer_messages if row.sender == f"{self.prefix}-{customer}"]
            assert [row.external_id for row in mine] == [f"{self.prefix}-{customer}-{n}" for n in range(self.messages)]
            # In order: each message's answer comes after the answer to the one before.
            blocks = [[reply.id for reply in replies[row.id]] for row in mine]
            assert all(max(before) < min(after) for before, after in zip(blocks, blocks[1:], strict=False))
