"""The retention sweep (the rules in content/privacy.yml): old message text replaced by a marker,
and inactive customers' names and channel ids removed. The numbers reports are made of (scores,
sentiment, intents, the compensation ledger, handoff times) are never touched, so a report for a
past period gives the same figures after a sweep as before. A second sweep changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import create_engine, func, inspect, not_, or_, select, text, update
from sqlalchemy.orm import Session

from bot.storage.models import Customer, Message, RecoveryCase, StaffNote, SurveyResponse, utcnow

# Button payloads ("/survey_answer{...}") are the bot's own wording, which reports read; they stay.
PAYLOAD_PREFIX = "/"
EXPIRED_PREFIX = "expired-"
ERASED_PREFIX = "erased-"


@dataclass(frozen=True)
class RetentionRules:
    message_text_days: int = 365
    inactive_customer_days: int = 730
    marker: str = "[removed after the retention period]"


@dataclass(frozen=True)
class SweepResult:
    messages: int
    notes: int
    survey_comments: int
    recovery_details: int
    customers: int

    def describe(self, *, dry_run: bool) -> str:
        verb = "would remove" if dry_run else "removed"
        return (
            f"{verb}: the text of {self.messages} messages, {self.notes} staff notes, {self.survey_comments} "
            f"survey comments and {self.recovery_details} complaint details; the names and ids of "
            f"{self.customers} inactive customers"
        )


def load_retention(path: Path) -> RetentionRules:
    return retention_from(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, path.name)


def retention_from(privacy: dict, where: str) -> RetentionRules:
    """The retention section of privacy.yml's contents already read (`where` names the file in errors)."""
    data = privacy.get("retention") or {}
    default = RetentionRules()
    rules = RetentionRules(
        message_text_days=int(data.get("message_text_days", default.message_text_days)),
        inactive_customer_days=int(data.get("inactive_customer_days", default.inactive_customer_days)),
        marker=str(data.get("marker") or default.marker).strip(),
    )
    if rules.message_text_days < 1 or rules.inactive_customer_days < 1 or not rules.marker:
        raise ValueError(f"{where}: retention needs days above 0 and a marker")
    return rules


def _count_or_update(session: Session, statement, count_query, dry_run: bool) -> int:
    if dry_run:
        return session.execute(count_query).scalar_one()
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def sweep(
    session: Session, rules: RetentionRules, *, now: datetime | None = None, dry_run: bool = False
) -> SweepResult:
    """Apply the rules in the caller's transaction (or only count, with dry_run)."""
    now = now or utcnow()
    text_before = now - timedelta(days=rules.message_text_days)
    inactive_before = now - timedelta(days=rules.inactive_customer_days)
    old_text = (
        Message.created_at < text_before,
        Message.text != rules.marker,
        not_(Message.text.startswith(PAYLOAD_PREFIX)),
    )
    messages = _count_or_update(
        session,
        update(Message).where(*old_text).values(text=rules.marker, payload=None),
        select(func.count()).select_from(Message).where(*old_text),
        dry_run,
    )
    old_notes = (StaffNote.created_at < text_before, StaffNote.text != rules.marker)
    notes = _count_or_update(
        session,
        update(StaffNote).where(*old_notes).values(text=rules.marker),
        select(func.count()).select_from(StaffNote).where(*old_notes),
        dry_run,
    )
    old_comments = (SurveyResponse.offered_at < text_before, SurveyResponse.comment.is_not(None))
    comments = _count_or_update(
        session,
        update(SurveyResponse).where(*old_comments).values(comment=None),
        select(func.count()).select_from(SurveyResponse).where(*old_comments),
        dry_run,
    )
    old_cases = (
        RecoveryCase.created_at < text_before,
        or_(RecoveryCase.description.is_not(None), RecoveryCase.order_number.is_not(None)),
    )
    cases = _count_or_update(
        session,
        update(RecoveryCase).where(*old_cases).values(description=None, order_number=None),
        select(func.count()).select_from(RecoveryCase).where(*old_cases),
        dry_run,
    )
    return SweepResult(messages, notes, comments, cases, _expire_customers(session, inactive_before, dry_run))


def _expire_customers(session: Session, inactive_before: datetime, dry_run: bool) -> int:
    """Names and channel ids of customers not seen since `inactive_before`; the row stays, so every
    conversation, score and ledger row still counts. If they write again, they start afresh."""
    inactive = (
        Customer.last_seen < inactive_before,
        not_(Customer.external_id.startswith(EXPIRED_PREFIX)),
        not_(Customer.external_id.startswith(ERASED_PREFIX)),
    )
    ids = list(session.execute(select(Customer.id).where(*inactive)).scalars())
    if not dry_run:
        for customer_id in ids:
            # One by one: the new id names the row, and (channel, external_id) stays unique.
            session.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(display_name=None, external_id=f"{EXPIRED_PREFIX}{customer_id}")
            )
    return len(ids)


def sweep_trackers(
    tracker_url: str, rules: RetentionRules, *, now: datetime | None = None, dry_run: bool = False
) -> int:
    """Rasa's stored events older than the text window (they hold the same text), in its own database."""
    before = ((now or utcnow()) - timedelta(days=rules.message_text_days)).timestamp()
    engine = create_engine(tracker_url)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        with engine.begin() as connection:
            if dry_run:
                query = text("SELECT COUNT(*) FROM events WHERE timestamp < :before")
                return int(connection.execute(query, {"before": before}).scalar_one())
            return connection.execute(text("DELETE FROM events WHERE timestamp < :before"), {"before": before}).rowcount
    finally:
        engine.dispose()
