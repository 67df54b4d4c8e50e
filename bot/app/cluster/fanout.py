"""Pushes that must reach every replica, over Redis pub/sub.

A customer's widget socket and a staff member's live queue (server-sent events) are held by
one replica each, not necessarily the one where the staff reply or the claim happened. So:
- a widget push is delivered to this replica's sockets and published; every other replica
  delivers it to the sockets it holds (most hold none for that customer);
- a desk live event ("the queue changed") is published likewise.

Only these deliveries cross replicas. The domain events (an escalation, a handoff changed) are
handled once, on the replica where they happen: the Telegram staff post is edited once.

Pub/sub, not PostgreSQL LISTEN/NOTIFY: Redis is there anyway (locks, leases, limits), its
pub/sub needs no extra database connection per replica, and a message lost while a replica is
away costs nothing lasting (the widget reloads its history, the console refreshes its queue).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import replace

from redis.exceptions import RedisError

from bot.app.cluster.node import PREFIX, Node
from bot.channels.base import PushChannel
from bot.conversation.messages import OutboundMessage
from bot.desk.events import DeskEvents

logger = logging.getLogger(__name__)

CHANNEL = f"{PREFIX}fanout"
RESUBSCRIBE_SECONDS = 1


class Fanout:
    """Publishes this replica's pushes and hands other replicas' pushes to the local targets."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.channels: dict[str, PushChannel] = {}
        self.desk: DeskEvents | None = None

    async def publish(self, message: dict) -> None:
        message["from"] = self.node.owner
        try:
            await self.node.redis.publish(CHANNEL, json.dumps(message, ensure_ascii=False))
        except RedisError as error:
            # The local delivery happened; the other replicas' customers reload from history.
            logger.warning("cluster: a push was not shared with the other replicas (%s)", error)

    async def listen(self) -> None:
        """Receive the other replicas' pushes for as long as this replica runs, resubscribing
        after Redis restarts."""
        while self.node.running:
            try:
                async with self.node.subscriber.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    while self.node.running:
                        # A short wait, so the connection's health check (a ping) runs now and then.
                        raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if raw is not None and raw.get("type") == "message":
                            await self._received(json.loads(raw["data"]))
            except (RedisError, ConnectionError, OSError) as error:
                logger.warning("cluster: push subscription lost (%s); resubscribing", error)
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def _received(self, message: dict) -> None:
        if message.get("from") == self.node.owner:
            return
        if message.get("kind") == "deliver":
            target = self.channels.get(message["channel"])
            if target is not None:
                messages = [replace(OutboundMessage.from_dict(m), id=m.get("id")) for m in message["messages"]]
                try:
                    await target.deliver(message["sender_id"], messages)
                except Exception:
                    logger.exception("cluster: a push from another replica failed on %s", message["channel"])
        elif message.get("kind") == "desk" and self.desk is not None:
            self.desk.publish_here(message["event"], message.get("conversation_id"))


class SharedChannel:
    """A push channel whose customers may be connected to any replica (the widget)."""

    def __init__(self, local: PushChannel, fanout: Fanout) -> None:
        self.name = local.name
        self._local = local
        self._fanout = fanout
        fanout.channels[local.name] = local

    async def deliver(self, sender_id: str, messages: Sequence[OutboundMessage]) -> None:
        await self._local.deliver(sender_id, messages)
        await self._fanout.publish(
            {
                "kind": "deliver",
                "channel": self.name,
                "sender_id": sender_id,
                "messages": [{**m.to_dict(), "id": m.id} for m in messages],
            }
        )


class SharedDeskEvents(DeskEvents):
    """The desk's live events, seen by the consoles on every replica."""

    def __init__(self, fanout: Fanout) -> None:
        super().__init__()
        self._fanout = fanout
        fanout.desk = self
        self._sending: set[asyncio.Task] = set()

    def publish(self, kind: str, conversation_id: int | None = None) -> None:
        self.publish_here(kind, conversation_id)
        task = asyncio.get_running_loop().create_task(
            self._fanout.publish({"kind": "desk", "event": kind, "conversation_id": conversation_id})
        )
        self._sending.add(task)  # held until sent: the loop keeps only weak references
        task.add_done_callback(self._sending.discard)

    def publish_here(self, kind: str, conversation_id: int | None = None) -> None:
        super().publish(kind, conversation_id)
