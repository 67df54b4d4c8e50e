"""The console's login limits counted in Redis, so guessing across replicas counts once."""

from __future__ import annotations

import time
import uuid

import redis

from bot.app.cluster.node import PREFIX
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
