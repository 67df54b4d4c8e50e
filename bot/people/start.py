"""The wording of content/people.yml, and the answer to a Telegram /start that carries a link token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import sessionmaker

from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.people.links import TOKEN, LinkTokens
from bot.storage.database import run_in_session

KEYS = ("continue_button", "linked", "history_line", "you", "us", "refused")


@dataclass(frozen=True)
class PeopleContent:
    messages: dict[str, dict[str, str]]  # language -> key -> text; "en" always there

    def words(self, locale: str | None) -> dict[str, str]:
        language = (locale or "en").split("-")[0].split("_")[0].lower()
        return self.messages.get(language) or self.messages["en"]


def load_content(path: Path) -> PeopleContent:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    messages = {str(lang): {key: str(block[key]) for key in KEYS} for lang, block in data["messages"].items()}
    if "en" not in messages:
        raise ValueError("people.yml: messages needs an en block")
    return PeopleContent(messages)


@dataclass(frozen=True)
class DeepLinkStart:
    """Telegram's /start <token>: link the identities and show where the conversation left off."""

    sessions: sessionmaker
    tokens: LinkTokens
    content: PeopleContent

    async def __call__(self, inbound: InboundMessage, payload: str) -> Sequence[OutboundMessage] | None:
        """The replies; None when the payload is not a link token at all (a plain /start then)."""
        if TOKEN.fullmatch(payload) is None:
            return None
        linked = await run_in_session(
            self.sessions,
            lambda s: self.tokens.redeem(s, payload, channel=inbound.channel, sender_id=inbound.sender_id),
        )
        words = self.content.words(inbound.locale)
        if linked is None:
            return [OutboundMessage(text=words["refused"])]
        lines = [words["linked"]] + [
            words["history_line"].format(who=words["you"] if direction == "customer" else words["us"], text=text)
            for direction, text in linked.history
        ]
        return [OutboundMessage(text="\n".join(lines))]
