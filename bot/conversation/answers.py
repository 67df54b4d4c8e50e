"""Which customer messages are answered, and the claim that keeps one from being answered twice.

A turn is: store the message, ask the assistant, store the outcome. A process that dies in
between leaves a stored message without an answer. Such a message is answered later, by the
customer's retry (same message id) or by the start-up recovery, whichever claims it first:

- the claim is a conditional UPDATE (compare-and-set on `answering_by`/`answering_since`), so of
  two processes racing for one message exactly one wins;
- a claim whose owner is gone (a dead process) or older than the lease may be taken over;
- the outcome is stored only if the message is still unanswered (`finish`), so even a claim
  taken over from a slow but living process never stores a second answer.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from bot.storage.models import Conversation, Customer, Direction, Message, utcnow

# How long a claim holds when its owner still looks alive: longer than any answer takes.
CLAIM_LEASE = timedelta(minutes=2)


class Claim(enum.Enum):
    CLAIMED = "claimed"  # this process answers the message now
    ANSWERED = "answered"  # someone already did: its stored replies are the answer
    BUSY = "busy"  # another living process is answering it right now


class AlreadyAnswered(Exception):
    """The message got its answer from someone else meanwhile; roll this turn back."""


def claim(
    session: Session,
    message_id: int,
    *,
    owner: str,
    alive: Callable[[str], bool],
    lease: timedelta = CLAIM_LEASE,
) -> Claim:
    """Claim an unanswered message for `owner`; `alive(other)` says whether another claimant's
    process still runs (without a cluster no other process does)."""
    now = utcnow()
    row = session.execute(
        select(Message.answered_at, Message.answering_by, Message.answering_since).where(Message.id == message_id)
    ).one()
    if row.answered_at is not None:
        return Claim.ANSWERED
    held_by, since = row.answering_by, row.answering_since
    if held_by is not None and held_by != owner and alive(held_by) and since is not None and now - since < lease:
        return Claim.BUSY
    # Warning: the WHERE repeats what was read, so of two processes that read the same stale
    # claim only one replaces it.
    claimed = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.answered_at.is_(None),
            Message.answering_by.is_(None) if held_by is None else Message.answering_by == held_by,
            Message.answering_since.is_(None) if since is None else Message.answering_since == since,
        )
        .values(answering_by=owner, answering_since=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed == 1:
        return Claim.CLAIMED
    answered = session.execute(select(Message.answered_at).where(Message.id == message_id)).scalar_one()
    return Claim.ANSWERED if answered is not None else Claim.BUSY


def finish(session: Session, message_id: int, now: datetime | None = None, **values: object) -> None:
    """Mark the message answered (and set `values` on it), in the transaction that stores its
    outcome; raises AlreadyAnswered (the caller rolls back) if another process stored one first."""
    params = {f"v_{key}": value for key, value in values.items()}
    done = session.execute(
        _finish_statement(tuple(sorted(values))), {"id_": message_id, "v_answered_at": now or utcnow(), **params}
    ).rowcount
    if done != 1:
        raise AlreadyAnswered(message_id)


_FINISH: dict[tuple[str, ...], Update] = {}


def _finish_statement(keys: tuple[str, ...]) -> Update:
    """finish()'s UPDATE for these extra columns, built once (it runs for every message)."""
    statement = _FINISH.get(keys)
    if statement is None:
        table = Message.__table__
        columns = {key: bindparam(f"v_{key}", type_=table.c[key].type) for key in ("answered_at", *keys)}
        statement = _FINISH[keys] = (
            table.update()
            .where(table.c.id == bindparam("id_"), table.c.answered_at.is_(None))
            .values(answering_by=None, answering_since=None, **columns)
        )
    return statement


@dataclass(frozen=True)
class Unanswered:
    message_id: int
    channel: str
    sender_id: str
    text: str
    external_id: str | None


def unanswered(session: Session, *, since: datetime, before: datetime) -> list[Unanswered]:
    """Customer messages stored from `since` to `before` and never answered, oldest first."""
    rows = session.execute(
        select(Message.id, Customer.channel, Customer.external_id, Message.text, Message.external_id)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .join(Customer, Conversation.customer_id == Customer.id)
        .where(
            Message.direction == Direction.CUSTOMER.value,
            Message.answered_at.is_(None),
            Message.missed_at.is_(None),
            Message.created_at >= since,
            Message.created_at < before,
        )
        .order_by(Message.id)
    ).all()
    return [Unanswered(*row) for row in rows]


def mark_missed(session: Session, *, before: datetime) -> int:
    """Unanswered customer messages older than `before`: too late to answer now, so marked for
    staff. Returns how many."""
    return session.execute(
        update(Message)
        .where(
            and_(
                Message.direction == Direction.CUSTOMER.value,
                Message.answered_at.is_(None),
                Message.missed_at.is_(None),
                Message.created_at < before,
            )
        )
        .values(missed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
