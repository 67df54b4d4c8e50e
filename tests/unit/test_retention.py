"""The retention sweep: text older than the window replaced by the marker, inactive customers'
names and ids removed, every report for a past period unchanged, and a second sweep a no-op."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app.cli import main
from bot.app.sweeper import sweep_daily
from bot.privacy.retention import RetentionRules, sweep
from bot.storage.models import Customer, Message, StaffNote
from feedback.exports import compensation_rows, conversation_rows, survey_rows
from feedback.metrics import Filters, build_dashboard
from tests.support.content import project_content
from tests.support.dashboard_data import T0, add_fixed_data

NOW = T0 + timedelta(days=365 + 2)  # text from before T0 + 2 days is past the window
RULES = RetentionRules(message_text_days=365, inactive_customer_days=366, marker="[expired]")
PERIOD = Filters(since=T0 - timedelta(days=7), until=T0 + timedelta(days=35))


@pytest.fixture
def data(session_factory):
    with session_factory.begin() as session:
        ids = add_fixed_data(session)
        session.add(StaffNote(conversation_id=ids["a"], text="old note", created_at=T0))
    return ids


def reports(session) -> tuple:
    dashboard = build_dashboard(session, PERIOD)
    # Unanswered questions are grouped by their wording, which is what the sweep removes: their
    # number stays.
    fallback_drills = sorted(ids for key, ids in dashboard.drilldown.items() if key.startswith("fallback:"))
    drilldown = {key: ids for key, ids in dashboard.drilldown.items() if not key.startswith("fallback:")}
    dashboard = replace(dashboard, fallbacks=sum(group.count for group in dashboard.fallbacks), drilldown=drilldown)
    dashboard = (dashboard, fallback_drills)
    return (
        dashboard,
        survey_rows(session, PERIOD),
        compensation_rows(session, PERIOD),
        conversation_rows(session, PERIOD),
    )


def texts(session) -> list[tuple]:
    rows = session.execute(select(Message.created_at, Message.text).order_by(Message.id)).all()
    customers = session.execute(select(Customer.external_id, Customer.display_name).order_by(Customer.id)).all()
    notes = session.execute(select(StaffNote.text)).scalars().all()
    return [*rows, *customers, *notes]


def test_the_sweep_removes_old_text_and_ids_and_keeps_the_reports(session_factory, data):
    with session_factory() as session:
        before, old_texts = reports(session), texts(session)
    with session_factory.begin() as session:
        preview = sweep(session, RULES, now=NOW, dry_run=True)
    with session_factory() as session:
        assert texts(session) == old_texts  # a dry run changes nothing
    with session_factory.begin() as session:
        result = sweep(session, RULES, now=NOW)
    assert result == preview
    assert result.messages > 0 and result.customers > 0 and result.notes == 1
    cutoff = NOW - timedelta(days=RULES.message_text_days)
    with session_factory() as session:
        assert reports(session) == before
        for created_at, text in session.execute(select(Message.created_at, Message.text)):
            if created_at < cutoff:
                assert text == RULES.marker or text.startswith("/"), text  # button payloads are ours
            else:
                assert text != RULES.marker
        inactive = NOW - timedelta(days=RULES.inactive_customer_days)
        for customer in session.execute(select(Customer)).scalars():
            expired = customer.external_id.startswith("expired-")
            assert expired == (customer.last_seen < inactive), customer.id
        swept = texts(session)
    with session_factory.begin() as session:
        again = sweep(session, RULES, now=NOW)
    assert again == type(again)(0, 0, 0, 0, 0)
    with session_factory() as session:
        assert texts(session) == swept


def test_the_command_says_what_it_would_remove(session_factory, data, database_url, capsys):
    main(["privacy", "sweep", "--dry-run"])  # today: the fixed data is recent, nothing to do
    assert capsys.readouterr().out.startswith("would remove: the text of 0 messages")
    main(["privacy", "sweep"])
    assert capsys.readouterr().out.startswith("removed: ")


def test_the_shipped_rules_load():
    assert project_content().retention == RetentionRules(
        message_text_days=365, inactive_customer_days=730, marker="[removed after the retention period]"
    )


async def test_the_server_sweeps_on_its_own(session_factory, data):
    rules = replace(RULES, message_text_days=1)  # today's sweep reaches the fixed data (from 2026-11)
    task = asyncio.create_task(sweep_daily(session_factory, rules, first_delay=0))
    try:
        for _ in range(600):
            with session_factory() as session:
                if session.execute(select(StaffNote.text)).scalar_one() == rules.marker:
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the daily sweep did not run")
    finally:
        task.cancel()


def test_the_assistants_old_events_go_too(tmp_path):
    from sqlalchemy import create_engine, text

    from bot.privacy.retention import sweep_trackers

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:  # the columns of Rasa's SQLTrackerStore that matter here
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, timestamp FLOAT)"))
        for n, moment in enumerate((T0, T0 + timedelta(days=1), T0 + timedelta(days=3))):
            connection.execute(text("INSERT INTO events VALUES (:n, 'c1', :t)"), {"n": n, "t": moment.timestamp()})
    assert sweep_trackers(url, RULES, now=NOW, dry_run=True) == 2
    assert sweep_trackers(url, RULES, now=NOW) == 2
    assert sweep_trackers(url, RULES, now=NOW) == 0
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM events")).scalars().all() == [2]
    engine.dispose()
    assert sweep_trackers(f"sqlite:///{tmp_path / 'none.db'}", RULES, now=NOW) == 0  # no tracker store yet
