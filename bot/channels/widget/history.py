"""What a returning visitor sees: the messages of their latest conversation, in the widget's shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.conversation.store import StoredMessage

MAX_HISTORY_MESSAGES = 200

# (sender id, at most this many) -> the last messages of that widget visitor's newest
# conversation, oldest first; the server passes it in.
HistoryReader = Callable[[str, int], Awaitable[Sequence[StoredMessage]]]


def history_json(stored: Sequence[StoredMessage]) -> list[dict[str, Any]]:
    """Customer, bot and staff messages, oldest first, as GET /widget/history returns them."""
    history: list[dict[str, Any]] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons on the latest bot messages
    for entry in stored:
        item: dict[str, Any] = {"id": entry.id, "from": entry.direction}
        if entry.direction == "customer":
            # A tapped button is stored as its payload ("/affirm"); the customer saw its title.
            item["text"] = offered.get(entry.message.text, entry.message.text)
            if entry.external_id:
                item["client_id"] = entry.external_id
            offered = {}
        else:
            item["text"] = entry.message.text
            item.update((k, v) for k, v in entry.message.to_dict().items() if k != "text")
            for button in item.get("buttons") or ():
                offered[str(button.get("payload"))] = str(button.get("title"))
        history.append(item)
    return history
