"""The follow-up scheduler: every few seconds, schedule new follow-ups and send the due ones.

State lives in the database only, so a restart loses nothing and repeats nothing; `clock` is
injectable so tests (and a demo) choose what "now" is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import sessionmaker

from bot.conversation.messages import OutboundMessage
from bot.followup import schedule
from bot.followup.content import FollowUpContent
from bot.storage.database import run_in_session
from bot.storage.models import utcnow

logger = logging.getLogger(__name__)

# channel, sender id, messages -> False when the channel cannot push (the widget: shown on the next visit)
Deliver = Callable[[str, str, Sequence[OutboundMessage]], Awaitable[bool]]
Delivered = Callable[[Sequence[int]], Awaitable[None]]


class FollowUpScheduler:
    def __init__(
        self,
        *,
        sessions: sessionmaker,
        content: FollowUpContent,
        deliver: Deliver,
        delivered: Delivered | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`deliver` pushes to a channel (the channel registry's); `delivered` records that stored
        messages reached the customer (the router's mark_delivered)."""
        self._sessions = sessions
        self._content = content
        self._deliver = deliver
        self._delivered = delivered
        self._clock = clock
        self._task: asyncio.Task | None = None

    async def tick(self) -> int:
        """One round: schedule, then send what is due (never in the quiet hours); the number sent."""
        now = self._clock()
        await run_in_session(self._sessions, lambda s: schedule.schedule_recovered(s, self._content, now))
        retried, gave_up = await run_in_session(self._sessions, lambda s: schedule.reclaim_stale(s, now))
        if retried or gave_up:
            logger.warning("follow-ups left sending by a crash: %d tried again, %d given up", retried, gave_up)
        if self._content.in_quiet_hours(now):
            return 0
        sent = 0
        for followup_id in await run_in_session(self._sessions, lambda s: schedule.due_ids(s, now)):
            if await self._send(followup_id, now):
                sent += 1
        return sent

    async def _send(self, followup_id: int, now: datetime) -> bool:
        if not await run_in_session(self._sessions, lambda s: schedule.claim(s, followup_id, now)):
            return False  # another replica has it, or staff cancelled it
        due = await run_in_session(self._sessions, lambda s: schedule.write(s, self._content, followup_id, now))
        if due is None or due.channel in schedule.HELD:
            # The widget cannot be pushed to: the question waits in the visitor's history.
            return due is not None
        ids = [m.id for m in due.messages if m.id is not None]
        try:
            pushed = await self._deliver(due.channel, due.sender_id, due.messages)
        except Exception:
            logger.exception("follow-up %s could not be delivered; trying again later", followup_id)
            pushed = False
        if not pushed:
            await run_in_session(self._sessions, lambda s: schedule.unsend(s, followup_id, ids))
            return False
        if self._delivered is not None:
            await self._delivered(ids)
        return True

    async def run(self) -> None:
        """Tick until stopped; a failed round is logged and the next one tries again."""
        while True:
            try:
                await self.tick()
            except Exception:
                logger.exception("follow-up round failed")
            await asyncio.sleep(self._content.check_every_seconds)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
