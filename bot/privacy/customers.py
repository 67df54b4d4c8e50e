"""One customer's data: everything stored about them as JSON (export), and erasure.

Both walk the schema instead of naming tables: every table that reaches `customers` through
foreign keys holds that customer's rows. A new table is therefore exported without a change
here; its text columns must still be classified below (personal or kept), which the tests check
for every column, so a new one cannot be forgotten silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, create_engine, inspect, or_, select, text, update
from sqlalchemy.orm import Session

from bot.privacy import audit
from bot.storage.models import Base, Customer, utcnow
from bot.storage.privacy import PrivacyRequest

ERASED_TEXT = "[erased at the customer's request]"
# Per table, the columns erasure overwrites and with what: everything a person wrote or could be
# recognised by. Numbers, codes, states and times stay: the reports are made of them.
PERSONAL: dict[str, dict[str, Any]] = {
    "customers": {"display_name": None},  # external_id: see _erased_id
    "messages": {"text": ERASED_TEXT, "payload": None, "button_title": None},
    "staff_notes": {"text": ERASED_TEXT},
    "survey_responses": {"comment": None},
    "recovery_cases": {"order_number": None, "description": None},
    "compensations": {"reason": ""},
}
# Text columns of customer tables that hold no personal data (codes, states, ids, intents).
KEPT: dict[str, set[str]] = {
    "customers": {"channel", "external_id", "locale"},
    "conversations": {"public_id", "channel", "state"},
    "messages": {"direction", "external_id", "intent", "response", "answering_by"},
    "compensations": {
        "code",
        "kind",
        "currency",
        "category",
        "severity",
        "status",
        "idempotency_key",
        "decided_by",
        "purpose",
    },
    "faq_feedback": {"topic", "question_key"},
    "handoff_requests": {"reason", "status"},
    "handoff_events": {"kind"},
    "staff_chat_posts": {"kind"},
    "privacy_requests": {"kind", "status", "handled_by"},
    "survey_responses": {"kind", "status", "handled_by", "answer"},
    "recovery_cases": {"source", "category", "severity", "status", "remedy"},
    "link_tokens": {"nonce"},  # a one-time random value of a Telegram link
    "person_identities": {"how"},
    "followups": {"answer", "cancelled_by", "channel", "status"},  # answer: yes, no or stop
}


class NoSuchCustomer(LookupError):
    pass


def customer_tables() -> list[Table]:
    """The tables that hold a customer's rows: customers, and every table that reaches it by
    foreign keys (in dependency order)."""
    reached = {"customers"}
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.sorted_tables:
            if table.name not in reached and any(fk.column.table.name in reached for fk in table.foreign_keys):
                reached.add(table.name)
                changed = True
    return [table for table in Base.metadata.sorted_tables if table.name in reached]


def customer_rows(session: Session, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every customer table that belongs to this customer, by table name."""
    ids: dict[str, set[int]] = {}
    rows: dict[str, list[dict[str, Any]]] = {}
    # Twice: a row may be reached through a table sorted after its own (messages.reply_to_id).
    for _round in range(2):
        for table in customer_tables():
            if table.name == "customers":
                where = table.c.id == customer_id
            else:
                links = [
                    fk.parent.in_(sorted(ids[fk.column.table.name]))
                    for fk in table.foreign_keys
                    if ids.get(fk.column.table.name)
                ]
                if not links:
                    rows.setdefault(table.name, [])
                    continue
                where = or_(*links)
            found = session.execute(select(table).where(where).order_by(*table.primary_key.columns)).mappings().all()
            rows[table.name] = [dict(row) for row in found]
            if "id" in table.c:  # a link table (person_identities) is keyed by the customer instead
                ids[table.name] = {row["id"] for row in found}
    return rows


def find_customer(session: Session, channel: str, external_id: str) -> Customer:
    customer = session.execute(
        select(Customer).where(Customer.channel == channel, Customer.external_id == external_id)
    ).scalar_one_or_none()
    if customer is None:
        raise NoSuchCustomer(f"no {channel} customer {external_id!r} (never seen, or erased already)")
    return customer


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export_customer(session: Session, channel: str, external_id: str, actor: audit.Actor) -> dict[str, Any]:
    """Everything stored about one customer, as JSON-ready data; the export is audited."""
    customer = find_customer(session, channel, external_id)
    tables = {
        name: [{key: _json_value(value) for key, value in row.items()} for row in found]
        for name, found in customer_rows(session, customer.id).items()
    }
    audit.record(session, actor, audit.CUSTOMER_EXPORTED, f"customer:{customer.id}", channel)
    return {"customer": {"channel": channel, "id": external_id}, "exported_at": utcnow().isoformat(), "tables": tables}


def _erased_id(customer_id: int) -> str:
    return f"erased-{customer_id}"


def erase_customer(session: Session, channel: str, external_id: str, actor: audit.Actor) -> list[str]:
    """Overwrite the customer's personal data and every message text, in the caller's transaction.
    Returns the erased conversations' public ids (Rasa's tracker store holds them too).
    Raises NoSuchCustomer when there is nobody (left) by that id: a second erase changes nothing."""
    customer = find_customer(session, channel, external_id)
    rows = customer_rows(session, customer.id)
    for table in customer_tables():
        if "id" not in table.c:
            continue  # link tables hold ids and codes only
        ids = [row["id"] for row in rows.get(table.name, [])]
        values = dict(PERSONAL.get(table.name, {}))
        if table.name == "customers":
            values["external_id"] = _erased_id(customer.id)
        if ids and values:
            session.execute(
                update(table).where(table.c.id.in_(bindparam("ids", expanding=True))).values(**values), {"ids": ids}
            )
    now = utcnow()
    session.execute(
        update(PrivacyRequest)
        .where(PrivacyRequest.customer_id == customer.id, PrivacyRequest.status == "open")
        .values(status="done", handled_by=actor.name[:100], handled_at=now)
    )
    audit.record(session, actor, audit.CUSTOMER_ERASED, f"customer:{customer.id}", channel)
    return [row["public_id"] for row in rows.get("conversations", [])]


def erase_trackers(tracker_url: str, conversation_ids: list[str]) -> int:
    """Delete Rasa's stored events of these conversations (its own database, so after the commit)."""
    if not conversation_ids:
        return 0
    engine = create_engine(tracker_url)
    try:
        if "events" not in inspect(engine).get_table_names():
            return 0
        with engine.begin() as connection:
            statement = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True))
            return connection.execute(statement, {"ids": conversation_ids}).rowcount
    finally:
        engine.dispose()
