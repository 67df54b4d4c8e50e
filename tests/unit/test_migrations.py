from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from bot.storage.database import alembic_config, get_engine, migrate
from bot.storage.models import Base

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)

TABLES = {
    "customers",
    "conversations",
    "messages",
    "faq_feedback",
    "handoff_requests",
    "compensations",
    "survey_responses",
}


def test_migrations_match_the_models(database_url):
    with get_engine(database_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_downgrade_and_upgrade_again(database_url):
    command.downgrade(alembic_config(database_url), "base")
    assert set(inspect(get_engine(database_url)).get_table_names()) == {"alembic_version"}
    migrate(database_url)
    assert TABLES <= set(inspect(get_engine(database_url)).get_table_names())


def test_a_database_with_two_active_handoffs_migrates_to_one(database_url):
    """A database from before 0006 may hold two active requests for one conversation (the race the
    unique index now prevents): the upgrade keeps the oldest active, closes the other, then the index
    refuses a second active request."""
    command.downgrade(alembic_config(database_url), "0005")
    engine = get_engine(database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, channel, external_id, first_seen, last_seen) "
                "VALUES (1, 'rest', 'alice', :t, :t)"
            ),
            {"t": T0},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, public_id, customer_id, channel, state, started_at, "
                "last_activity_at, customer_message_count) VALUES (1, 'c1', 1, 'rest', 'awaiting_human', :t, :t, 0)"
            ),
            {"t": T0},
        )
        for handoff_id, status in [(1, "resolved"), (2, "open"), (3, "claimed"), (4, "timed_out")]:
            connection.execute(
                text(
                    "INSERT INTO handoff_requests (id, conversation_id, reason, status, created_at) "
                    "VALUES (:id, 1, 'customer_request', :status, :t)"
                ),
                {"id": handoff_id, "status": status, "t": T0 + timedelta(minutes=handoff_id)},
            )
    migrate(database_url)
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT id, status FROM handoff_requests ORDER BY id")).all())
    assert statuses == {1: "resolved", 2: "open", 3: "cancelled", 4: "cancelled"}
    assert "response" in {column["name"] for column in inspect(engine).get_columns("messages")}
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO handoff_requests (conversation_id, reason, status, created_at) "
                "VALUES (1, 'customer_request', 'claimed', :t)"
            ),
            {"t": T0},
        )


def test_button_taps_stored_before_0007_get_the_title_of_the_button_before_them(database_url):
    command.downgrade(alembic_config(database_url), "0006")
    engine = get_engine(database_url)
    buttons = '{"buttons": [{"title": "Very easy", "payload": "/survey_answer{\\"survey_value\\":\\"very_easy\\"}"}]}'
    rows = [
        (1, "bot", "How easy was it?", buttons),
        (2, "customer", '/survey_answer{"survey_value":"very_easy"}', None),
        (3, "customer", '/survey_answer{"survey_value":"easy"}', None),  # no such button: stays untitled
        (4, "customer", "hello", None),
    ]
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO customers (id, channel, external_id, first_seen, last_seen) "
                "VALUES (1, 'widget', 'alice', :t, :t)"
            ),
            {"t": T0},
        )
        connection.execute(
            text(
                "INSERT INTO conversations (id, public_id, customer_id, channel, state, started_at, "
                "last_activity_at, customer_message_count) VALUES (1, 'c1', 1, 'widget', 'bot', :t, :t, 3)"
            ),
            {"t": T0},
        )
        for message_id, direction, body, payload in rows:
            connection.execute(
                text(
                    "INSERT INTO messages (id, conversation_id, direction, text, payload, handled, created_at) "
                    "VALUES (:id, 1, :direction, :text, :payload, true, :t)"
                ),
                {"id": message_id, "direction": direction, "text": body, "payload": payload, "t": T0},
            )
    migrate(database_url)
    with engine.connect() as connection:
        titles = dict(connection.execute(text("SELECT id, button_title FROM messages ORDER BY id")).all())
    assert titles == {1: None, 2: "Very easy", 3: None, 4: None}
