"""Business content that lives in YAML under the content folder (editable without Python)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from feedback.language import in_language


@dataclass(frozen=True)
class Topics:
    titles: dict[str, str]  # FAQ topic key -> button title
    intent_titles: dict[str, str]  # other intents offered in "did you mean"
    something_else: str  # the "none of these" button


def load_topics(path: Path, language: str | None = None) -> Topics:
    data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
    titles = {key: str(value["title"]) for key, value in (data.get("topics") or {}).items()}
    intent_titles = {key: str(value) for key, value in (data.get("intents") or {}).items()}
    return Topics(
        titles=titles,
        intent_titles=intent_titles,
        something_else=str(data.get("something_else") or "Something else"),
    )
