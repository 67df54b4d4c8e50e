"""Storage: SQLAlchemy models, the engine and session factory, Alembic migrations."""

# The follow-up, person and privacy models, registered with the models' metadata whenever storage is used.
from bot.storage import followups as _followups  # noqa: E402, F401
from bot.storage import privacy as _privacy  # noqa: E402, F401
