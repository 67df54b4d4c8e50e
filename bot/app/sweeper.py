"""The daily retention sweep inside the server (the same as `cxbot privacy sweep`).

The sweep is idempotent (its updates match only rows not swept yet), so replicas that sweep at
the same time do the work once between them and change nothing the second time.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import sessionmaker

from bot.privacy.retention import RetentionRules, sweep, sweep_trackers
from bot.storage.database import run_in_session

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600
FIRST_DELAY_SECONDS = 60  # after start-up, once the assistant has had its minute


async def sweep_daily(
    sessions: sessionmaker,
    rules: RetentionRules,
    *,
    tracker_url: str | None = None,
    first_delay: float = FIRST_DELAY_SECONDS,
) -> None:
    """Sweep shortly after start-up, then every day, until cancelled."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            result = await run_in_session(sessions, lambda session: sweep(session, rules))
            events = await asyncio.to_thread(sweep_trackers, tracker_url, rules) if tracker_url else 0
            # A sweep that removed something is worth a line at the default level; an empty one is not.
            removed = events or any(vars(result).values())
            logger.log(
                logging.INFO if removed else logging.DEBUG,
                "retention sweep: %s; %d assistant events",
                result.describe(dry_run=False),
                events,
            )
        except Exception:
            # The next day tries again; the server keeps serving customers meanwhile.
            logger.exception("retention sweep failed")
        await asyncio.sleep(DAY_SECONDS)
