"""The commands in the bot's Telegram menu (/start, /help, /human), described per language.

The descriptions are business wording, kept in content/telegram.yml; registering them with
setMyCommands makes Telegram list them in the menu in the customer's app language.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

# Commands in the bot's menu, sent to the router as the text the assistant understands (here, not
# in updates.py, so reading the content does not import python-telegram-bot).
COMMANDS = {"/start": "/start", "/help": "help", "/human": "/human"}
DEFAULT_LANGUAGE = "en"
MAX_DESCRIPTION = 256  # Telegram's limit


@dataclass(frozen=True)
class MenuCommands:
    # language code -> (command without the slash, description), in menu order
    by_language: dict[str, tuple[tuple[str, str], ...]]


def load_commands(path: Path) -> MenuCommands:
    """Read telegram.yml; every language must describe every command of the menu."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    languages = data.get("commands")
    if not isinstance(languages, dict) or DEFAULT_LANGUAGE not in languages:
        raise ValueError(f"{path.name}: commands needs at least the {DEFAULT_LANGUAGE!r} language")
    names = [command.lstrip("/") for command in COMMANDS]
    by_language = {}
    for language, descriptions in languages.items():
        if not isinstance(descriptions, dict):
            raise ValueError(f"{path.name}: commands.{language} must map commands to descriptions")
        missing = [name for name in names if name not in descriptions]
        if missing:
            raise ValueError(f"{path.name}: commands.{language} lacks {', '.join(missing)}")
        for name in names:
            text = str(descriptions[name] or "").strip()
            if not 1 <= len(text) <= MAX_DESCRIPTION:
                raise ValueError(f"{path.name}: commands.{language}.{name} must be 1-{MAX_DESCRIPTION} characters")
        by_language[str(language)] = tuple((name, str(descriptions[name]).strip()) for name in names)
    return MenuCommands(by_language)
