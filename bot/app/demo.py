"""`cxbot demo`: simulated customers talk to the real assistant so a new user sees a living dashboard.

Every message goes through the same ConversationRouter and trained model as a real chat (nothing
is inserted directly): FAQ askers, complainers who accept or decline the offer, survey answers
tapped or typed, people who ask for a person, questions the bot does not know.

Spreading over weeks: the code has no injectable clock (rows take `utcnow()` in many modules),
so each simulated conversation runs now and is then moved, as a whole, to its place in the past:
every date column of the rows that belong to it (the conversation, its messages, surveys,
handoffs, compensation, recovery cases, FAQ feedback, the customer) is shifted by the same
offset. Durations inside a conversation stay as they were. Rasa's own tracker events keep
their real times; the dashboard does not read them.

Escalated conversations are handled by a demo staff member ("Sam", user `demo-staff`, who can't
sign in: the password is random and not shown) through the real staff desk: most are claimed,
answered and handed back, after which the bot asks CES and the simulated customer answers; a few
are left waiting, as in a real queue.

The customers themselves (personas, and what they say to each reply) are in `demo_customers`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.app.content import Content
from bot.app.demo_customers import CHANNELS, NAMES, Persona, make_persona, next_message
from bot.app.settings import Settings
from bot.conversation.messages import InboundMessage, InvalidMessage
from bot.storage.database import get_session_factory, migrate
from bot.storage.models import (
    Base,
    Compensation,
    Conversation,
    Customer,
    HandoffRequest,
    Message,
    SurveyResponse,
)
from bot.storage.types import UTCDateTime
from feedback.metrics.not_understood import count_not_understood

logger = logging.getLogger(__name__)

MAX_TURNS = 14


class DemoRefused(Exception):
    """The database already has conversations and --force was not given."""


@dataclass
class DemoSummary:
    conversations: int
    personas: Counter
    since: datetime
    until: datetime
    counts: dict[str, int]

    def describe(self) -> str:
        people = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(self.personas.items()))
        numbers = ", ".join(f"{name} {n}" for name, n in self.counts.items())
        return (
            f"Simulated {self.conversations} customers ({people}) from {self.since:%Y-%m-%d} to "
            f"{self.until:%Y-%m-%d}.\n"
            f"Database now holds: {numbers}.\n"
            "Escalated conversations wait in the queue for a person. Try `cxbot report` or the dashboard."
        )


def shift_conversation(session: Session, conversation_id: int, delta: timedelta, *, customer: bool = True) -> None:
    """Move every date of one conversation's rows (and, with `customer`, its customer's) by `delta`."""
    conversation = session.get(Conversation, conversation_id)
    for table in Base.metadata.sorted_tables:
        dates = [column for column in table.c if isinstance(column.type, UTCDateTime)]
        if not dates:
            continue
        if table.name == Conversation.__tablename__:
            where = table.c.id == conversation_id
        elif table.name == Customer.__tablename__:
            if not customer:
                continue
            where = table.c.id == conversation.customer_id
        elif "conversation_id" in table.c:
            where = table.c.conversation_id == conversation_id
        else:
            continue
        for row in session.execute(select(table.c.id, *dates).where(where)).mappings().all():
            values = {c.name: row[c.name] + delta for c in dates if row[c.name] is not None}
            if values:
                session.execute(update(table).where(table.c.id == row["id"]).values(**values))
    session.expire_all()


def _counts(session: Session) -> dict[str, int]:
    def count(model, *where) -> int:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    return {
        "conversations": count(Conversation),
        "messages": count(Message),
        "surveys answered": count(SurveyResponse, SurveyResponse.status == "answered"),
        "compensations": count(Compensation),
        "escalations": count(HandoffRequest),
        "not understood": count_not_understood(session),
    }


def _is_empty(session_factory) -> bool:
    with session_factory() as session:
        return session.execute(select(func.count()).select_from(Conversation)).scalar_one() == 0


DEMO_STAFF = ("demo-staff", "Sam")
STAFF_REPLIES = (
    "Hi, I'm Sam from the team. I've looked into this and sorted it out for you; sorry for the trouble.",
    "Thanks for waiting. I've checked your order and fixed it on our side.",
    "I'm sorry about this. I've escalated it with our warehouse and you'll hear from us today.",
)
LEFT_WAITING = 0.2  # share of escalations the demo staff member doesn't get to


def demo_staff_id(session_factory) -> int:
    from bot.desk import auth

    with session_factory.begin() as session:
        user = auth.find_user(session, DEMO_STAFF[0])
        if user is None:
            user = auth.add_user(
                session,
                username=DEMO_STAFF[0],
                display_name=DEMO_STAFF[1],
                password=secrets.token_urlsafe(24),
                role="agent",
            )
        return user.id


async def handle_escalation(
    desk,
    session_factory,
    staff_id: int,
    rng: random.Random,
    router,
    persona,
    inbound: dict,
    *,
    leave_waiting: bool = False,
) -> None:
    """The demo staff member claims a waiting conversation, answers, and hands it back; the
    customer then answers the bot's CES question like any survey."""
    with session_factory() as session:
        handoff = (
            session.execute(
                select(HandoffRequest)
                .join(Conversation)
                .join(Customer)
                .where(
                    Customer.channel == inbound["channel"],
                    Customer.external_id == inbound["sender_id"],
                    HandoffRequest.status == "open",
                )
            )
            .scalars()
            .first()
        )
    if handoff is None or leave_waiting:
        return
    await desk.claim(handoff.id, staff_id)
    await desk.reply(handoff.id, staff_id, rng.choice(STAFF_REPLIES))
    outcome = await desk.resolve(handoff.id, staff_id)
    replies = [m for m in outcome.messages if m.buttons]
    await converse(router, rng, persona, inbound, next_message(rng, persona, replies) if replies else None, turns=3)


async def converse(
    router, rng: random.Random, persona: Persona, inbound: dict, message: str | None, *, turns: int
) -> None:
    """The persona talks to the bot, from `message` on, until it has nothing to say or `turns` ran out."""
    for _turn in range(turns):
        if message is None:
            break
        try:
            replies = await router.handle(InboundMessage(text=message, **inbound))
        except InvalidMessage:
            break
        message = next_message(rng, persona, replies)


async def simulate(
    router,
    session_factory,
    *,
    conversations: int,
    weeks: int,
    seed: int,
    now: datetime | None = None,
    progress_bar: bool = True,
    desk=None,
) -> DemoSummary:
    """Run `conversations` simulated customers through `router`, then spread them over `weeks`."""
    from tqdm import tqdm

    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc)
    start = now - timedelta(weeks=weeks)
    # Start times first, oldest to newest, so later customers can be a little happier.
    moments = sorted(
        start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds() - 3600)) for _ in range(conversations)
    )
    run = secrets.token_hex(3)
    personas: Counter = Counter()
    staff_id = demo_staff_id(session_factory) if desk is not None else None
    bar = tqdm(total=conversations, unit="conversation", desc="demo", disable=not progress_bar)
    try:
        for number, moment in enumerate(moments):
            persona = make_persona(rng, number, progress=number / max(1, conversations - 1))
            personas[persona.kind] += 1
            channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
            inbound = dict(channel=channel, sender_id=f"demo-{run}-{number:05d}", display_name=rng.choice(NAMES))
            await converse(router, rng, persona, inbound, persona.opening, turns=MAX_TURNS)
            if desk is not None:
                # The first customers (one of each persona) are always handled, so any demo shows it.
                leave = number >= 6 and rng.random() < LEFT_WAITING
                await handle_escalation(
                    desk, session_factory, staff_id, rng, router, persona, inbound, leave_waiting=leave
                )
            with session_factory.begin() as session:
                conversation_ids = (
                    session.execute(
                        select(Conversation.id)
                        .join(Customer)
                        .where(Customer.channel == channel, Customer.external_id == inbound["sender_id"])
                        .order_by(Conversation.id)
                    )
                    .scalars()
                    .all()
                )
                if conversation_ids:
                    started = session.get(Conversation, conversation_ids[0]).started_at
                    delta = moment - started
                    for index, conversation_id in enumerate(conversation_ids):
                        shift_conversation(session, conversation_id, delta, customer=index == 0)
            bar.update(1)
    finally:
        bar.close()
    with session_factory() as session:
        counts = _counts(session)
    return DemoSummary(conversations, personas, start, now, counts)


async def run_demo(
    settings: Settings,
    content: Content,
    model_path: Path,
    *,
    conversations: int,
    weeks: int,
    seed: int,
    force: bool = False,
) -> DemoSummary:
    from bot.app.server import build_services
    from bot.assistant.rasa import RasaAssistant
    from bot.channels.base import ChannelRegistry
    from bot.conversation.events import EventBus

    await asyncio.to_thread(migrate, settings.database_url)
    session_factory = get_session_factory(settings.database_url)
    if not force and not await asyncio.to_thread(_is_empty, session_factory):
        raise DemoRefused(
            f"the database ({settings.database_url.split('://')[0]}) already has conversations; "
            "use an empty one (CXBOT_DATABASE_URL) or add --force to add demo customers to it"
        )
    print("Loading the assistant...", flush=True)
    assistant = await asyncio.to_thread(RasaAssistant.load, model_path, settings, content)
    # The real router and staff desk, without channels to push to (demo customers read nothing)
    # and without the desk's queue-timeout task.
    router, desk = build_services(settings, content, assistant, channels=ChannelRegistry(), events=EventBus())
    return await simulate(router, session_factory, conversations=conversations, weeks=weeks, seed=seed, desk=desk)
