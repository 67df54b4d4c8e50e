"""The audit log: an entry for each staff action on customer data, shown to admins only, listed
by `cxbot audit`, and never written from a page view's live refresh."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app.cli import main
from bot.privacy import audit
from bot.storage.models import Conversation
from bot.storage.privacy import AuditEntry
from tests.support.dashboard_data import add_fixed_data
from tests.unit.test_desk_console import add_pending_compensation, customer_waiting, desk_app, signed_in

__all__ = ["desk_app"]


def logged(session_factory) -> list[tuple[str, str, str]]:
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(e.actor, e.action, e.subject) for e in rows]


async def test_each_staff_action_on_customer_data_is_logged_with_who_and_what(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app)
    with session_factory.begin() as session:
        add_fixed_data(session)
        comp_id = add_pending_compensation(
            session,
            session.get(Conversation, conversation_id),
            "CX-AUDIT1",
            "k1",
            kind="replacement",
            category="damaged_item",
            reason="broken",
        ).id
    agent, manager = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    subject = f"conversation:{conversation_id}"
    assert (await agent.get(f"/desk/conversations/{conversation_id}")).status == 200
    assert (await agent.get(f"/desk/conversations/{conversation_id}/transcript")).status == 200  # a live refresh
    assert (await agent.post(f"/desk/conversations/{conversation_id}/notes", {"text": "called her"})).status == 303
    assert (await manager.post(f"/desk/compensations/{comp_id}/approve")).status == 303
    assert (await manager.get(f"/dashboard/conversations/{conversation_id}")).status == 200
    assert (await manager.get("/dashboard/export/conversations.csv?since=2026-11-02&until=2026-11-09")).status == 200
    assert logged(session_factory) == [
        ("ana", audit.TRANSCRIPT_OPENED, subject),
        ("ana", audit.NOTE_ADDED, subject),
        ("mia", audit.COMPENSATION_DECIDED, f"compensation:{comp_id}"),
        ("mia", audit.TRANSCRIPT_OPENED, subject),
        ("mia", audit.REPORT_EXPORTED, "report:conversations"),
    ]
    with session_factory() as session:
        entries = audit.entries(session)
    assert entries[0].detail == "2026-11-02..2026-11-09" and entries[2].detail == "approved"
    assert all(e.at is not None for e in entries)
    # Nothing is logged for a transcript that does not exist.
    assert (await agent.get("/desk/conversations/999999")).status == 404
    assert len(logged(session_factory)) == 5


async def test_only_admins_read_the_audit_log(desk_app, session_factory):
    conversation_id, _ = await customer_waiting(desk_app)
    agent, manager, admin = [await signed_in(desk_app, name) for name in ("ana", "mia", "root")]
    await agent.get(f"/desk/conversations/{conversation_id}")
    anonymous = await desk_app.get("/desk/audit", allow_redirects=False)
    assert anonymous.status == 401
    assert (await agent.get("/desk/audit")).status == 403
    assert (await manager.get("/desk/audit")).status == 403
    page = await admin.get("/desk/audit")
    assert page.status == 200
    text = await page.text()
    assert f"conversation:{conversation_id}" in text and "transcript_opened" in text and "ana" in text
    # The page offers no way to change an entry: no form posts anywhere but sign-out.
    assert text.count('<form method="post"') == 1


def test_the_log_refuses_unknown_actions(session_factory):
    with session_factory.begin() as session, pytest.raises(ValueError):
        audit.record(session, audit.Actor("x"), "renamed_customer", "customer:1")


def test_cxbot_audit_lists_the_entries(session_factory, database_url, capsys):
    with session_factory.begin() as session:
        audit.record(session, audit.Actor("ana", None), audit.TRANSCRIPT_OPENED, "conversation:7")
        audit.record(session, audit.Actor("cli:root"), audit.CUSTOMER_ERASED, "customer:3", "telegram")
    main(["audit"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert "ana" in lines[0] and "transcript_opened" in lines[0] and "conversation:7" in lines[0]
    assert "cli:root" in lines[1] and "customer_erased" in lines[1]
    main(["audit", "--action", "customer_erased"])
    assert capsys.readouterr().out.strip().splitlines() == [lines[1]]
