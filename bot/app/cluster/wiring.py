"""How the server joins the cluster: what each part gets when CXBOT_REDIS_URL is set."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.app.cluster.fanout import Fanout, SharedChannel, SharedDeskEvents
from bot.app.cluster.limits import SharedLoginLimiter, SharedRateLimiter
from bot.app.cluster.node import UNAVAILABLE, Node
from bot.channels.base import ChannelRegistry
from bot.desk.console.access import ConsoleState
from bot.desk.service import TIMEOUT_CHECK_SECONDS, Desk

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600

# Channels whose customers hold a connection to one replica: their pushes go to every replica.
CONNECTED_CHANNELS = ("widget",)


@dataclass
class Cluster:
    node: Node
    fanout: Fanout

    def router_options(self) -> dict[str, Any]:
        """What the conversation router needs to keep order and claims across replicas."""
        return {
            "owner": self.node.owner,
            "alive": self.node.alive,
            "shared_lock": self.node.lock,
            "unavailable": UNAVAILABLE,
        }

    def rate_limiter(self) -> SharedRateLimiter:
        """The channels' message limits, one count per customer, address or chat for all replicas."""
        return SharedRateLimiter(self.node.redis)

    def share_pushes(self, channels: ChannelRegistry, console: ConsoleState) -> None:
        """Widget pushes reach the replica holding the socket; login failures count everywhere."""
        for name in CONNECTED_CHANNELS:
            local = channels.get(name)
            if local is not None:
                channels.register(SharedChannel(local, self.fanout))
        settings = console.settings
        console.limiter = SharedLoginLimiter(
            self.node.sync, settings.desk_login_attempts, settings.desk_login_window_minutes * 60
        )

    def start(self) -> None:
        self.node.start()
        self.node.spawn(self.fanout.listen())

    def start_desk(self, desk: Desk) -> None:
        """The desk's live queue on every replica; its queue time-out sweep on one at a time."""
        desk.live = SharedDeskEvents(self.fanout)
        self.node.spawn(self._sweep(desk))

    async def _sweep(self, desk: Desk) -> None:
        while self.node.running:
            await asyncio.sleep(TIMEOUT_CHECK_SECONDS)
            try:
                # The first replica to ask in this period sweeps; a time-out is also conditional
                # in the database, so a rare second sweep changes nothing.
                if await self.node.first("queue-sweep", TIMEOUT_CHECK_SECONDS - 1):
                    await desk.time_out_waiting()
            except Exception:
                logger.exception("staff desk: the queue timeout check failed")

    def once_a_day(self, job: str) -> Callable[[], Awaitable[bool]]:
        """For a daily job on every replica: True for the first replica to ask once a day has
        passed since the job last started anywhere. Redis away: False (skipped, asked again
        at the next check), so two replicas never run it because neither could tell."""

        async def due() -> bool:
            try:
                return await self.node.first(job, DAY_SECONDS)
            except UNAVAILABLE as error:
                logger.warning("cluster: %s skipped for now; Redis cannot tell who runs it (%s)", job, error)
                return False

        return due

    async def stop(self) -> None:
        await self.node.stop()


def join(redis_url: str) -> Cluster | None:
    """The cluster this replica joins, or None for one process on its own (no Redis)."""
    if not redis_url:
        return None
    node = Node(redis_url)
    return Cluster(node, Fanout(node))
