"""The daily retention sweep inside the server (the same as `cxbot privacy sweep`).

One process sweeps once a day. Several replicas (Redis) each ask every hour whether the day's
sweep is due, and the first to ask after a day has passed sweeps: once a day across them all.
The sweep is idempotent besides (its updates match only rows not swept yet), so a second sweep,
should one ever run, changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.orm import sessionmaker

from bot.privacy.retention import RetentionRules, sweep, sweep_trackers
from bot.storage.database import run_in_session

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600
CHECK_SECONDS = 3600  # with several replicas: how often each asks whether the sweep is due
FIRST_DELAY_SECONDS = 60  # after start-up, once the assistant has had its minute
JOB = "retention-sweep"

# The cluster's question "has no replica run this job in the last day?" (True: run it now).
Due = Callable[[], Awaitable[bool]]


async def sweep_now(sessions: sessionmaker, rules: RetentionRules, *, tracker_url: str | None = None) -> None:
    """One sweep of the database and the assistant's tracker store."""
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


async def sweep_if_due(
    sessions: sessionmaker, rules: RetentionRules, *, tracker_url: str | None = None, due: Due | None = None
) -> bool:
    """Sweep now unless `due` says another replica has swept today; True if this one swept."""
    if due is not None and not await due():
        return False
    await sweep_now(sessions, rules, tracker_url=tracker_url)
    return True


async def sweep_daily(
    sessions: sessionmaker,
    rules: RetentionRules,
    *,
    tracker_url: str | None = None,
    first_delay: float = FIRST_DELAY_SECONDS,
    due: Due | None = None,
) -> None:
    """Sweep shortly after start-up, then every day (with `due`: when it says so), until cancelled."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await sweep_if_due(sessions, rules, tracker_url=tracker_url, due=due)
        except Exception:
            # The next day tries again; the server keeps serving customers meanwhile.
            logger.exception("retention sweep failed")
        await asyncio.sleep(DAY_SECONDS if due is None else CHECK_SECONDS)
