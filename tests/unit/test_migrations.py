from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.storage.database import alembic_config, get_engine, migrate
from bot.storage.models import Base

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
