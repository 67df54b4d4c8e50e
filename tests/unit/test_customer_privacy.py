"""A customer's export and erasure, on SQLite and PostgreSQL, checked against the schema: every
table that holds customer rows is in the export, every text column is classified (personal or
kept), and after erasure none of the customer's personal data is left while the reports stay."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import String, Text, select

from bot.app.cli import main
from bot.privacy import audit
from bot.privacy.customers import (
    ERASED_TEXT,
    KEPT,
    PERSONAL,
    NoSuchCustomer,
    customer_rows,
    customer_tables,
    erase_customer,
    export_customer,
)
from bot.storage.followups import FollowUp, FollowUpOptOut, LinkToken, Person, PersonIdentity
from bot.storage.models import (
    Base,
    Conversation,
    Customer,
    FaqFeedback,
    HandoffEvent,
    HandoffRequest,
    StaffChatPost,
    StaffNote,
    StaffUser,
)
from bot.storage.privacy import AuditEntry, PrivacyRequest
from feedback.metrics import Filters, build_dashboard
from tests.support.dashboard_data import T0, add_fixed_data

# Tables that hold no customer's data (staff accounts, their sessions, the audit log; persons and
# their merges hold only ids: who a person is lives in the customer rows linked to them).
NOT_CUSTOMER_DATA = {"staff_users", "staff_sessions", "audit_log", "persons", "person_merges"}
ACTOR = audit.Actor("cli:test")
SECRETS = ("my parcel is late", "4829173", "Bea Example", "she called twice", "NW-55120", "box was crushed")


def enrich(session, ids: dict[str, int]) -> int:
    """Give customer "b" a row in every customer table, and personal data to find later."""
    conversation = session.get(Conversation, ids["b"])
    customer = session.get(Customer, conversation.customer_id)
    customer.display_name = "Bea Example"
    staff = StaffUser(username="ana", display_name="Ana", password_hash="x", role="agent")
    session.add(staff)
    session.flush()
    handoff = HandoffRequest(conversation_id=conversation.id, reason="customer_request", status="resolved")
    session.add(handoff)
    session.flush()
    session.add(HandoffEvent(handoff_id=handoff.id, kind="claimed", staff_user_id=staff.id))
    session.add(StaffChatPost(chat_id=-100, message_id=5, handoff_id=handoff.id, kind="announce"))
    session.add(StaffNote(conversation_id=conversation.id, author_id=staff.id, text="she called twice"))
    session.add(FaqFeedback(conversation_id=conversation.id, topic="delivery", question_key="late", helpful=False))
    session.add(PrivacyRequest(customer_id=customer.id, conversation_id=conversation.id, kind="erase"))
    cases = conversation_cases(session, conversation.id)
    for case in cases:
        case.order_number, case.description = "NW-55120", "box was crushed"
    # Issue 18's tables: a follow-up, an opt-out, a person link and a Telegram link token.
    person = Person()
    session.add(person)
    session.flush()
    session.add(PersonIdentity(customer_id=customer.id, person_id=person.id, how="telegram_link"))
    session.add(LinkToken(nonce="0123456789abcdef", customer_id=customer.id))
    session.add(FollowUpOptOut(customer_id=customer.id))
    session.add(
        FollowUp(case_id=cases[0].id, customer_id=customer.id, channel="telegram", due_at=T0, status="scheduled")
    )
    return customer.id


def conversation_cases(session, conversation_id: int):
    from bot.storage.models import RecoveryCase

    return session.execute(select(RecoveryCase).where(RecoveryCase.conversation_id == conversation_id)).scalars().all()


@pytest.fixture
def data(session_factory):
    with session_factory.begin() as session:
        ids = add_fixed_data(session)
        customer_id = enrich(session, ids)
    return ids, customer_id


def all_text(session) -> str:
    """Every text value in the database, as one string to search."""
    values = []
    for table in Base.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        for row in session.execute(select(*columns)) if columns else ():
            values.extend(str(v) for v in row if v is not None)
    return "\n".join(values)


def report(session):
    dashboard = build_dashboard(session, Filters(since=T0 - timedelta(days=7), until=T0 + timedelta(days=35)))
    # Unanswered questions are grouped by wording, which erasure removes: their number stays.
    fallback_drills = sorted(ids for key, ids in dashboard.drilldown.items() if key.startswith("fallback:"))
    drilldown = {key: ids for key, ids in dashboard.drilldown.items() if not key.startswith("fallback:")}
    return replace(dashboard, fallbacks=sum(g.count for g in dashboard.fallbacks), drilldown=drilldown), fallback_drills


def test_every_table_is_either_customer_data_or_named_as_not():
    names = {table.name for table in customer_tables()}
    assert names | NOT_CUSTOMER_DATA == set(Base.metadata.tables)
    assert not names & NOT_CUSTOMER_DATA


def test_every_text_column_of_customer_data_is_classified():
    for table in customer_tables():
        text_columns = {c.name for c in table.columns if isinstance(c.type, (String, Text))}
        personal, kept = set(PERSONAL.get(table.name, {})), KEPT.get(table.name, set())
        assert text_columns == personal | kept, table.name
        assert not personal & kept, table.name


def test_the_export_holds_every_customer_table_and_only_that_customers_rows(session_factory, data):
    ids, customer_id = data
    with session_factory.begin() as session:
        exported = export_customer(session, "widget", "b", ACTOR)
    json.dumps(exported)  # JSON as it is
    tables = exported["tables"]
    assert set(tables) == {table.name for table in customer_tables()}
    empty = [name for name, rows in tables.items() if not rows]
    assert empty == [], f"give customer b a row in {empty} (tests/unit/test_customer_privacy.py: enrich)"
    assert [row["id"] for row in tables["customers"]] == [customer_id]
    assert {row["id"] for row in tables["conversations"]} == {ids["b"]}
    assert all(row["conversation_id"] == ids["b"] for row in tables["messages"])
    text = json.dumps(exported, ensure_ascii=False)
    assert all(secret in text for secret in SECRETS)
    with session_factory() as session:
        assert session.execute(select(AuditEntry.action, AuditEntry.subject)).all() == [
            (audit.CUSTOMER_EXPORTED, f"customer:{customer_id}")
        ]


def test_erase_removes_personal_data_keeps_the_reports_and_is_idempotent(session_factory, data):
    ids, customer_id = data
    with session_factory() as session:
        before = report(session)
        others_before = customer_rows(session, session.get(Conversation, ids["c"]).customer_id)
    with session_factory.begin() as session:
        assert erase_customer(session, "widget", "b", ACTOR) == ["fixed-b"]
    with session_factory() as session:
        assert report(session) == before
        text = all_text(session)
        assert not [secret for secret in SECRETS if secret in text]
        rows = customer_rows(session, customer_id)
        assert all(row["text"] == ERASED_TEXT for row in rows["messages"])
        assert [row["status"] for row in rows["privacy_requests"]] == ["done"]
        # Other customers are untouched.
        assert customer_rows(session, session.get(Conversation, ids["c"]).customer_id) == others_before
        snapshot = {name: customer_rows(session, customer_id)[name] for name in rows}
    with session_factory.begin() as session, pytest.raises(NoSuchCustomer):
        erase_customer(session, "widget", "b", ACTOR)
    with session_factory() as session:
        assert {name: customer_rows(session, customer_id)[name] for name in rows} == snapshot
        assert [e.action for e in audit.entries(session)] == [audit.CUSTOMER_ERASED]


def test_the_commands_export_and_erase(session_factory, data, database_url, tmp_path, capsys):
    out = tmp_path / "b.json"
    main(["customer", "export", "widget", "b", "--out", str(out)])
    assert json.loads(out.read_text(encoding="utf-8"))["customer"] == {"channel": "widget", "id": "b"}
    main(["customer", "erase", "widget", "b"])
    assert "erased widget customer b: 1 conversation" in capsys.readouterr().out
    main(["customer", "erase", "widget", "b"])
    assert "nothing to erase" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no widget customer 'b'"):
        main(["customer", "export", "widget", "b"])
