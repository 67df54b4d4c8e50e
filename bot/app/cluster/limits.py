"""Limits counted in Redis, so several replicas count once: the console's login limits and the
channels' message limits."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence

import redis
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.app.cluster.node import PREFIX
from bot.channels.limits import LimiterUnavailable, Rate
from bot.desk.auth import LoginLimiter


class SharedLoginLimiter(LoginLimiter):
    """LoginLimiter's rule (per account and address, and wider per address), in Redis sorted
    sets of failure times that expire with the window. Synchronous like the one it replaces:
    one loopback round trip per login."""

    def __init__(self, client: redis.Redis, attempts: int = 5, window_seconds: float = 15 * 60) -> None:
        super().__init__(attempts, window_seconds)
        self._redis = client

    @staticmethod
    def _key(who: str, address: str) -> str:
        return f"{PREFIX}login:{who}:{address}"

    def _count(self, key: str, now: float) -> int:
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(key, "-inf", now - self.window_seconds)
        pipe.zcard(key)
        return int(pipe.execute()[1])

    def blocked(self, username: str, address: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        per_account = self._count(self._key(username.lower(), address), now) >= self.attempts
        per_address = self._count(self._key("*", address), now) >= self.attempts * 4
        return per_account or per_address

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        pipe = self._redis.pipeline()
        for key in (self._key(username.lower(), address), self._key("*", address)):
            pipe.zadd(key, {uuid.uuid4().hex: now})
            pipe.expire(key, int(self.window_seconds) + 1)
        pipe.execute()

    def succeeded(self, username: str, address: str) -> None:
        self._redis.delete(self._key(username.lower(), address))


# MemoryRateLimiter's sliding window, one sorted set of message times (ms) per key. One script,
# so checking every key and counting on all of them is atomic across replicas: two replicas
# cannot both let through the last message a window allows.
# KEYS: the keys; ARGV: now in ms (negative: Redis's own clock, the one all replicas share),
# a unique member for this message, then messages and window (ms) for each key.
SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local wait = 0
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[1 + 2 * i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then
  return wait
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, ARGV[2 + 2 * i])
end
return 0
"""


class SharedRateLimiter:
    """The channels' RateLimiter in Redis: a customer, address or Telegram chat has one count
    whichever replica its messages reach. Redis away: LimiterUnavailable, and the message waits
    for Redis like every other message of the cluster (503 Retry-After), never uncounted."""

    def __init__(self, client: aioredis.Redis, clock: Callable[[], float] | None = None) -> None:
        self._script = client.register_script(SLIDING_WINDOW)
        self._clock = clock  # for tests; None: Redis's clock

    async def acquire(self, keys: Sequence[tuple[str, Rate]]) -> float:
        now = round(self._clock() * 1000) if self._clock else -1
        args: list[int | str] = [now, uuid.uuid4().hex]
        for _key, rate in keys:
            args += [rate.messages, max(1, round(rate.seconds * 1000))]
        try:
            wait_ms = await self._script(keys=[f"{PREFIX}rate:{key}" for key, _rate in keys], args=args)
        except RedisError as error:
            raise LimiterUnavailable(f"the shared rate limit cannot be counted ({error})") from error
        return int(wait_ms) / 1000
