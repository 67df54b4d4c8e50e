"""The audit log: every staff action on customer data, with who, when and what.

Written in the same transaction as the action where there is one (a note, a decision, an erase),
so an action and its entry stand or fall together. Nothing in the product updates or deletes an
entry; `cxbot audit` and the admins' page in the desk only read them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.privacy import AuditEntry

TRANSCRIPT_OPENED = "transcript_opened"
REPORT_EXPORTED = "report_exported"
NOTE_ADDED = "note_added"
COMPENSATION_DECIDED = "compensation_decided"
CUSTOMER_EXPORTED = "customer_exported"
CUSTOMER_ERASED = "customer_erased"
PROFILES_MERGED = "profiles_merged"  # a staff merge of two customers' profiles (bot/people)
MERGE_UNDONE = "merge_undone"
ACTIONS = (
    TRANSCRIPT_OPENED,
    REPORT_EXPORTED,
    NOTE_ADDED,
    COMPENSATION_DECIDED,
    CUSTOMER_EXPORTED,
    CUSTOMER_ERASED,
    PROFILES_MERGED,
    MERGE_UNDONE,
)
# Where the console leaves the signed-in staff member on a request, for pages that live elsewhere.
ACTOR_KEY = "cxbot_audit_actor"


@dataclass(frozen=True)
class Actor:
    """Who acts: a staff user of the desk, or a person at the command line (staff_user_id None)."""

    name: str
    staff_user_id: int | None = None


def record(session: Session, actor: Actor, action: str, subject: str, detail: str = "") -> AuditEntry:
    """Add one entry; `subject` names rows by id ("conversation:12"), never by personal data."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        actor=actor.name[:100], staff_user_id=actor.staff_user_id, action=action, subject=subject, detail=detail
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, *, limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    """The latest entries first."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.execute(query).scalars())


def line(entry: AuditEntry) -> str:
    """One entry as the command line prints it."""
    detail = f"  {entry.detail}" if entry.detail else ""
    return f"{entry.at:%Y-%m-%d %H:%M:%S}Z  {entry.actor:<16} {entry.action:<22} {entry.subject}{detail}"
