"""What a customer's button tap reads as for staff and managers: the title they saw and tapped,
not the payload Rasa parses (`/survey_answer{"survey_value":"nps:6"}` reads "6")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

# A Rasa payload: "/intent" with optional JSON entities.
_PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)
# Bot messages searched for the tapped button, newest first: the last question usually carries it.
RECENT_BOT_MESSAGES = 5


def is_payload(text: str) -> bool:
    return bool(_PAYLOAD.match(text.strip()))


def tapped_title(payload: str, bot_payloads: Iterable[str | None]) -> str | None:
    """The title of the button with this payload on the newest bot message that has it
    (`bot_payloads`: the stored JSON payloads of bot messages, newest first)."""
    for raw in bot_payloads:
        try:
            data = json.loads(raw or "{}")
        except json.JSONDecodeError:
            continue
        buttons = data.get("buttons") if isinstance(data, dict) else None
        for button in buttons if isinstance(buttons, list) else ():
            if isinstance(button, dict) and button.get("payload") == payload and button.get("title"):
                return str(button["title"])[:200]
    return None


def readable(text: str) -> str:
    """Text as people read it: a payload with entities that no button explains (stored before
    titles were kept) in words, `/choose_topic{"topic":"returns"}` as "choose topic: returns".
    A bare command ("/human") stays as it is: the customer may well have typed it."""
    match = _PAYLOAD.match(text.strip())
    if match is None or not match.group(2):
        return text
    words = match.group(1).replace("_", " ")
    try:
        entities = json.loads(match.group(2))
    except json.JSONDecodeError:
        return text
    values = [str(value) for value in entities.values()] if isinstance(entities, dict) else []
    return f"{words}: {', '.join(values)}" if values else words
