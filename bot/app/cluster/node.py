"""This replica in the cluster: its heartbeat, the conversation lock and leases, all in Redis."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import redis
import redis.asyncio as aioredis
from redis.exceptions import LockError, RedisError

from bot.channels.limits import LimiterUnavailable

logger = logging.getLogger(__name__)

PREFIX = "cxbot:"
# A replica whose heartbeat key is gone is dead: its claims on messages may be taken over.
HEARTBEAT_SECONDS = 5
HEARTBEAT_TTL = 15
# The conversation lock expires this long after its holder stops renewing it (it died), so the
# next message of that customer waits at most this long; a living holder renews it while it works.
LOCK_TTL = 15
LOCK_RENEW_SECONDS = 5
# A message waits this long for the conversation lock before the request fails with a 503.
LOCK_WAIT_SECONDS = 60
# Redis calls give up after this long (Redis down): the request gets a 503, never hangs.
SOCKET_TIMEOUT = 5
SUBSCRIBER_PING_SECONDS = 10


class ClusterUnavailable(Exception):
    """Redis cannot be reached or the lock not had in time: the caller answers 503 Retry-After."""


UNAVAILABLE: tuple[type[BaseException], ...] = (RedisError, ClusterUnavailable, LimiterUnavailable)


class Node:
    """One replica: `owner` names it in claims, locks and leases."""

    def __init__(self, url: str, owner: str | None = None) -> None:
        self.owner = owner or uuid.uuid4().hex
        options = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT}
        self.redis = aioredis.Redis.from_url(url, **options)
        # Subscriptions wait for messages as long as it takes: no read time-out, but a ping now
        # and then, so a Redis restart is noticed.
        self.subscriber = aioredis.Redis.from_url(
            url, socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=SUBSCRIBER_PING_SECONDS
        )
        # For the few checks made inside database worker threads (whose claim is alive).
        self.sync = redis.Redis.from_url(url, **options)
        self._tasks: list[asyncio.Task] = []
        # Warning: redis-py 4.6 may turn a task's cancellation into a connection error, which the
        # loops below catch and retry; they also stop on this flag.
        self.running = True

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._beat()))

    async def stop(self) -> None:
        self.running = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(RedisError):
            await self.redis.delete(f"{PREFIX}replica:{self.owner}")
        await self.redis.close()
        await self.subscriber.close()
        self.sync.close()

    def spawn(self, work: Awaitable[None]) -> None:
        """Run `work` for as long as this replica runs (stopped with it)."""
        self._tasks.append(asyncio.ensure_future(work))

    async def _beat(self) -> None:
        while self.running:
            try:
                await self.redis.set(f"{PREFIX}replica:{self.owner}", "1", ex=HEARTBEAT_TTL)
            except RedisError as error:
                logger.warning("cluster: heartbeat failed (%s); retrying", error)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def alive(self, owner: str) -> bool:
        """Whether the replica `owner` still runs (called from worker threads)."""
        return owner == self.owner or bool(self.sync.exists(f"{PREFIX}replica:{owner}"))

    @asynccontextmanager
    async def lock(self, name: str) -> AsyncIterator[None]:
        """Held by one replica at a time, renewed while held; expires LOCK_TTL after its holder died."""
        lock = self.redis.lock(f"{PREFIX}lock:{name}", timeout=LOCK_TTL, blocking_timeout=LOCK_WAIT_SECONDS)
        if not await lock.acquire():
            raise ClusterUnavailable(f"waited {LOCK_WAIT_SECONDS} s for the lock on {name}")
        renewer = asyncio.create_task(self._renew(lock))
        try:
            yield
        finally:
            renewer.cancel()
            await asyncio.gather(renewer, return_exceptions=True)
            try:
                await lock.release()
            except (LockError, RedisError) as error:
                # Expired (this replica stalled longer than LOCK_TTL) or Redis is away: it frees itself.
                logger.warning("cluster: lock %s was not released cleanly (%s)", name, error)

    @staticmethod
    async def _renew(lock) -> None:
        while True:
            await asyncio.sleep(LOCK_RENEW_SECONDS)
            try:
                await lock.extend(LOCK_TTL, replace_ttl=True)
            except (LockError, RedisError) as error:
                logger.warning("cluster: could not renew a conversation lock (%s)", error)

    async def first(self, key: str, ttl_seconds: int) -> bool:
        """True for the first replica to ask within `ttl_seconds` (the others get False)."""
        return bool(await self.redis.set(f"{PREFIX}once:{key}", self.owner, nx=True, ex=ttl_seconds))

    async def hold_lease(self, name: str, ttl_seconds: int) -> bool:
        """Take or keep the lease `name` for this replica: True while it is ours."""
        key = f"{PREFIX}lease:{name}"
        if await self.redis.set(key, self.owner, nx=True, ex=ttl_seconds):
            return True
        holder = await self.redis.get(key)
        if holder is not None and holder.decode() == self.owner:
            await self.redis.expire(key, ttl_seconds)
            return True
        return False

    async def while_leased(
        self,
        name: str,
        *,
        ttl_seconds: int,
        on_gain: Callable[[], Awaitable[None]],
        on_loss: Callable[[], Awaitable[None]],
    ) -> None:
        """Keep trying for the lease; run `on_gain` when this replica gets it, `on_loss` when it
        loses it (Redis away, or another took over after a stall)."""
        held = False
        while self.running:
            try:
                now_held = await self.hold_lease(name, ttl_seconds)
            except RedisError as error:
                logger.warning("cluster: lease %s unknown (%s)", name, error)
                now_held = False
            if now_held != held:
                held = now_held
                logger.info("cluster: %s lease %s", name, "taken" if held else "lost")
                await (on_gain() if held else on_loss())
            await asyncio.sleep(ttl_seconds / 3)
