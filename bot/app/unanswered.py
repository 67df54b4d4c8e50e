"""At start-up: answer the customer messages a crash left unanswered.

A process killed between storing a message and storing its answer leaves the message without
one. Recent ones (CXBOT_RECOVER_UNANSWERED_MINUTES) are answered now, through the router (in
order per conversation, claimed so a simultaneous retry does not answer them too) and pushed on
channels that can push (Telegram, an open widget); elsewhere the answer waits in the stored
history (the widget shows it on its next load, a REST retry of the message id gets it). Older
ones are too late to answer out of the blue: they are marked `missed_at` for staff.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker

from bot.channels.base import ChannelRegistry
from bot.conversation import answers
from bot.conversation.router import ConversationRouter
from bot.storage.database import run_in_session

logger = logging.getLogger(__name__)


async def answer_left_over(
    router: ConversationRouter,
    sessions: sessionmaker,
    channels: ChannelRegistry,
    *,
    window: timedelta,
    started: datetime,
) -> int:
    """Answer what was stored before `started` (this process's start) within `window` and never
    answered; mark older ones missed. Returns how many were answered here."""
    since = started - window
    missed = await run_in_session(sessions, lambda s: answers.mark_missed(s, before=since))
    if missed:
        logger.warning("%d customer messages were left unanswered too long ago; marked for staff", missed)
    left = await run_in_session(sessions, lambda s: answers.unanswered(s, since=since, before=started))
    answered = 0
    for message in left:
        replies = await router.answer_stored(message)
        if replies is None:
            continue  # the customer's retry answered it first
        answered += 1
        try:
            await channels.deliver(message.channel, message.sender_id, replies)
        except Exception:
            # Stored either way: the widget's history and a retry of the message id still get it.
            logger.exception("could not push a late answer on %s", message.channel)
    if left:
        logger.info("answered %d of %d messages left unanswered by a crash", answered, len(left))
    return answered
