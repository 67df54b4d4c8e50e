"""Live updates for open consoles: "the queue changed", "conversation 12 changed".

In-process only: each console's event stream also refreshes the queue every few seconds, which
catches changes made by another server process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PENDING = 100


class DeskEvents:
    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue] = set()

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue]:
        queue: asyncio.Queue = asyncio.Queue(MAX_PENDING)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    def publish(self, kind: str, conversation_id: int | None = None) -> None:
        event = {"kind": kind, "conversation_id": conversation_id}
        for queue in list(self._subscribers):
            if queue.full():
                continue  # a stalled console reloads what it needs on its next event
            queue.put_nowait(event)
