"""Which channel identities (customers rows) belong to one person, and staff merges with an undo.

Links are made only on proof: a one-time signed token (bot/people/links.py) or a staff member's
decision, recorded so it can be undone. Never on a name or a typed e-mail.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.storage.followups import Person, PersonIdentity, PersonMerge
from bot.storage.models import Customer, utcnow


class MergeRefused(ValueError):
    """The merge (or its undo) cannot be done; the message is safe to show staff."""


def person_of(session: Session, customer_id: int) -> int | None:
    return session.execute(
        select(PersonIdentity.person_id).where(PersonIdentity.customer_id == customer_id)
    ).scalar_one_or_none()


def ensure_person(session: Session, customer_id: int, *, how: str, now: datetime | None = None) -> int:
    """The identity's person, made (a person of one) if it has none yet."""
    person_id = person_of(session, customer_id)
    if person_id is not None:
        return person_id
    person = Person(created_at=now or utcnow())
    session.add(person)
    session.flush()
    session.add(PersonIdentity(customer_id=customer_id, person_id=person.id, how=how, linked_at=now or utcnow()))
    session.flush()
    return person.id


def identity_ids(session: Session, customer_id: int) -> list[int]:
    """Every identity of this customer's person (just the customer when not linked), oldest first."""
    person_id = person_of(session, customer_id)
    if person_id is None:
        return [customer_id]
    return list(
        session.execute(
            select(PersonIdentity.customer_id)
            .where(PersonIdentity.person_id == person_id)
            .order_by(PersonIdentity.customer_id)
        ).scalars()
    )


def _move(session: Session, customer_ids: list[int], to_person: int, how: str) -> None:
    session.execute(
        update(PersonIdentity)
        .where(PersonIdentity.customer_id.in_(customer_ids))
        .values(person_id=to_person, how=how)
        .execution_options(synchronize_session=False)
    )


def link(
    session: Session, keep: int, other: int, *, how: str, now: datetime | None = None
) -> tuple[int, int, list[int]]:
    """Join `other`'s person into `keep`'s: (kept person, merged person, the identities moved)."""
    kept = ensure_person(session, keep, how=how, now=now)
    merged = ensure_person(session, other, how=how, now=now)
    if kept == merged:
        return kept, merged, []
    moved = list(
        session.execute(select(PersonIdentity.customer_id).where(PersonIdentity.person_id == merged)).scalars()
    )
    _move(session, moved, kept, how)
    return kept, merged, moved


def merge(session: Session, keep: int, other: int, *, staff_id: int | None, now: datetime | None = None) -> PersonMerge:
    """A staff member joins two customers' profiles; recorded so `undo` can split them again."""
    if keep == other or session.get(Customer, keep) is None or session.get(Customer, other) is None:
        raise MergeRefused("choose two different existing customers")
    kept, merged, moved = link(session, keep, other, how="staff_merge", now=now)
    if not moved:
        raise MergeRefused("these profiles are one person already")
    record = PersonMerge(
        kept_person_id=kept,
        merged_person_id=merged,
        moved_customer_ids=json.dumps(moved),
        staff_user_id=staff_id,
        created_at=now or utcnow(),
    )
    session.add(record)
    session.flush()
    return record


def undo(session: Session, merge_id: int, *, now: datetime | None = None) -> PersonMerge:
    """Split a staff merge again: the identities it moved return to their own person, once."""
    result = session.execute(
        update(PersonMerge)
        .where(PersonMerge.id == merge_id, PersonMerge.undone_at.is_(None))
        .values(undone_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    record = session.get(PersonMerge, merge_id)
    if record is None or result.rowcount != 1:
        raise MergeRefused("there is no such merge to undo (or it was undone already)")
    _move(session, json.loads(record.moved_customer_ids), record.merged_person_id, "undo")
    return record


def merges_of(session: Session, customer_id: int) -> list[PersonMerge]:
    """The staff merges that touched this customer's person, newest first."""
    person_id = person_of(session, customer_id)
    if person_id is None:
        return []
    return list(
        session.execute(
            select(PersonMerge)
            .where((PersonMerge.kept_person_id == person_id) | (PersonMerge.merged_person_id == person_id))
            .order_by(PersonMerge.id.desc())
        ).scalars()
    )
