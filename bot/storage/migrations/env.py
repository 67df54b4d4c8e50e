"""Alembic environment: the URL comes from the caller's config (bot.storage.database.alembic_config
sets it) or, for a bare `alembic upgrade head` in the project folder, from CXBOT_DATABASE_URL."""

import os

from alembic import context

from bot.storage.database import get_engine
from bot.storage.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ.get("CXBOT_DATABASE_URL", "")
if not url:
    raise SystemExit(
        "alembic: set CXBOT_DATABASE_URL to the database to migrate, "
        "or run `cxbot db upgrade` (which reads the settings and .env)"
    )


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with get_engine(url).connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
