"""The assistant's responses as written in domain/, for tests that check what the bot said."""

from __future__ import annotations

from pathlib import Path

from rasa.shared.core.domain import Domain

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))


def response_texts(name: str, shop: str) -> set[str]:
    """Every variant of response `name`, with {shop_name} filled in as the server fills it."""
    return {r["text"].replace("{shop_name}", shop) for r in DOMAIN.responses[name]}


def english_texts(name: str, shop: str) -> set[str]:
    """The variants of `name` an English-speaking customer gets (those without a language condition)."""
    return {
        r["text"].replace("{shop_name}", shop)
        for r in DOMAIN.responses[name]
        if not any(c.get("name") == "language" for c in r.get("condition") or [])
    }
