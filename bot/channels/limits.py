"""Rate limits and connection caps for the customer channels (the rules in content/privacy.yml).

A channel asks `Guard.wait(...)` before it hands a message to the router: 0 lets it through
(and counts it), anything else is the number of seconds to wait, and the message is neither
stored nor sent to the model. The counting sits behind `RateLimiter`, a small async interface:
`MemoryRateLimiter` counts in this process; with several replicas the cluster's Redis limiter
(bot/app/cluster/limits.py) implements the same `acquire`. Open WebSockets are counted per process: a socket lives
on exactly one replica.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import yaml

DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class Rate:
    messages: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    per_customer: Rate = Rate(20, 60)
    per_address: Rate = Rate(120, 60)
    sockets_per_visitor: int = 5
    sockets_per_address: int = 50
    idle_seconds: float = 1800
    # language -> the one reply a Telegram chat over its limit gets
    slow_down: dict[str, str] = field(default_factory=lambda: {DEFAULT_LANGUAGE: "Please slow down."})

    def slow_down_text(self, locale: str | None) -> str:
        language = (locale or "").split("-")[0].lower()
        return self.slow_down.get(language) or self.slow_down[DEFAULT_LANGUAGE]


class LimiterUnavailable(Exception):
    """The shared count cannot be reached (Redis away): the message is refused for now, and the
    customer is asked to try again shortly (503 Retry-After, or a retry error frame)."""


class RateLimiter(Protocol):
    async def acquire(self, keys: Sequence[tuple[str, Rate]]) -> float:
        """Count one message against every key and return 0; or, when any key is at its limit,
        count nothing and return the seconds until it allows one again."""


class MemoryRateLimiter:
    """A sliding window per key, in this process's memory (one replica)."""

    SWEEP_EVERY = 1000  # acquisitions between drops of keys that went quiet

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._longest = 0.0
        self._calls = 0

    async def acquire(self, keys: Sequence[tuple[str, Rate]]) -> float:
        now = self._clock()
        wait = 0.0
        for key, rate in keys:
            hits = self._hits.get(key)
            while hits and hits[0] <= now - rate.seconds:
                hits.popleft()
            if hits and len(hits) >= rate.messages:
                wait = max(wait, hits[0] + rate.seconds - now)
        if wait > 0:
            return wait
        for key, rate in keys:
            self._hits.setdefault(key, deque()).append(now)
            self._longest = max(self._longest, rate.seconds)
        self._calls += 1
        if self._calls % self.SWEEP_EVERY == 0:
            self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        # Without this, every address ever seen would stay in memory.
        quiet = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self._longest]
        for key in quiet:
            del self._hits[key]

    def keys(self) -> int:
        return len(self._hits)


def retry_after(wait: float) -> str:
    """The Retry-After header: whole seconds, at least 1."""
    return str(max(1, math.ceil(wait)))


class Guard:
    """The channels' one question: may this customer, from this address, send a message now?"""

    def __init__(self, limits: Limits, limiter: RateLimiter, *, trusted_proxies: Iterable[str] = ()) -> None:
        self.limits = limits
        self.limiter = limiter
        self.trusted_proxies = frozenset(trusted_proxies)

    def address(self, remote: str | None, forwarded_for: str | None) -> str | None:
        """The client's address: behind a trusted reverse proxy, the last hop it added to
        X-Forwarded-For (otherwise every customer would share the proxy's address and limit)."""
        if remote in self.trusted_proxies and forwarded_for:
            return forwarded_for.split(",")[-1].strip() or remote
        return remote

    async def wait(self, channel: str, customer: str, address: str | None = None) -> float:
        keys = [(f"customer:{channel}:{customer}", self.limits.per_customer)]
        if address:
            keys.append((f"address:{address}", self.limits.per_address))
        return await self.limiter.acquire(keys)


class Notices:
    """Who was told to slow down, so each wait brings one notice, not one per dropped message."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[object, float] = {}  # only keys still waiting: cleared once they may send

    def allowed(self, key: object) -> None:
        self._until.pop(key, None)

    def first(self, key: object, wait: float) -> bool:
        now = self._clock()
        if self._until.get(key, 0.0) > now:
            return False
        self._until[key] = now + wait
        return True


class SocketCounter:
    """Open WebSockets per visitor and per address, in this process."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def open(self, caps: Iterable[tuple[str, int]]) -> bool:
        """Count one more socket under every key, unless one of them is at its cap (then nothing)."""
        caps = list(caps)
        if any(self._open.get(key, 0) >= cap for key, cap in caps):
            return False
        for key, _cap in caps:
            self._open[key] = self._open.get(key, 0) + 1
        return True

    def close(self, keys: Iterable[str]) -> None:
        for key in keys:
            left = self._open.get(key, 0) - 1
            if left > 0:
                self._open[key] = left
            else:
                self._open.pop(key, None)


def _rate(data: object, where: str, default: Rate) -> Rate:
    if data is None:
        return default
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be a mapping with messages and per_seconds")
    messages, seconds = int(data.get("messages", default.messages)), float(data.get("per_seconds", default.seconds))
    if messages < 1 or seconds <= 0:
        raise ValueError(f"{where}: messages must be at least 1 and per_seconds above 0")
    return Rate(messages, seconds)


def load_limits(path: Path) -> Limits:
    """The rate_limits, connections and slow_down sections of privacy.yml."""
    return limits_from(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path.name)


def limits_from(data: dict, where: str) -> Limits:
    """`load_limits` on privacy.yml's contents already read (`where` names the file in errors)."""
    default = Limits()
    rates = data.get("rate_limits") or {}
    sockets = data.get("connections") or {}
    slow_down = {str(k): str(v).strip() for k, v in (data.get("slow_down") or {}).items() if str(v or "").strip()}
    if DEFAULT_LANGUAGE not in slow_down:
        raise ValueError(f"{where}: slow_down needs an {DEFAULT_LANGUAGE!r} text")
    limits = Limits(
        per_customer=_rate(rates.get("per_customer"), "rate_limits.per_customer", default.per_customer),
        per_address=_rate(rates.get("per_address"), "rate_limits.per_address", default.per_address),
        sockets_per_visitor=int(sockets.get("per_visitor", default.sockets_per_visitor)),
        sockets_per_address=int(sockets.get("per_address", default.sockets_per_address)),
        idle_seconds=float(sockets.get("idle_minutes", default.idle_seconds / 60)) * 60,
        slow_down=slow_down,
    )
    if min(limits.sockets_per_visitor, limits.sockets_per_address) < 1 or limits.idle_seconds <= 0:
        raise ValueError(f"{where}: connections need per_visitor, per_address and idle_minutes above 0")
    return limits
