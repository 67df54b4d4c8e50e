"""The project's content folder, loaded once for the tests, and the actions' context over it."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from bot.app.content import Content, load_content
from bot.app.settings import Settings
from bot.assistant.actions.support.context import ActionContext

PROJECT_DIR = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def project_content() -> Content:
    return load_content(PROJECT_DIR / "content")


def handoff_wording() -> dict[str, Any]:
    """escalate()'s wording arguments, from the project's content: `**handoff_wording()`."""
    content = project_content()
    return {"rules": content.escalation, "desk": content.desk}


def action_context(sessions: sessionmaker | None = None, shop_name: str = Settings.shop_name) -> ActionContext:
    """The context the assistant installs for its actions; without `sessions`, one bound to no
    database (for actions that do not touch it)."""
    return ActionContext(content=project_content(), sessions=sessions or sessionmaker(), shop_name=shop_name)
