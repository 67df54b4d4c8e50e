"""Database access for actions: a fresh session per action call."""

from bot.app.settings import get_settings
from bot.storage.database import get_session_factory


def transaction():
    """A session in a transaction, committed when the block ends without error."""
    return get_session_factory(get_settings().database_url).begin()
