"""The one inbound and outbound message type that every channel translates to and from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # "rest", "cli", "telegram", "widget", ...
    sender_id: str  # the customer's id on that channel
    text: str
    message_id: str | None = None  # the channel's id for this message, for idempotent retries
    display_name: str | None = None
    locale: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class OutboundMessage:
    text: str = ""
    buttons: tuple[Button, ...] = ()
    custom: dict[str, Any] | None = None
    image: str | None = None
    # The stored message's id once the router has saved it: channels use it for short button
    # references (Telegram's 64-byte callback_data) and to show history in order.
    id: int | None = field(default=None, compare=False)
    # The domain response that produced it (utter_...), stored for the reports; channels never send it.
    response: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.text:
            data["text"] = self.text
        if self.buttons:
            data["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.custom is not None:
            data["custom"] = self.custom
        if self.image:
            data["image"] = self.image
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutboundMessage:
        buttons = tuple(
            Button(title=str(b.get("title", "")), payload=str(b.get("payload", ""))) for b in data.get("buttons") or ()
        )
        return cls(
            text=data.get("text") or "",
            buttons=buttons,
            custom=data.get("custom"),
            image=data.get("image"),
        )


class InvalidMessage(ValueError):
    """The inbound message cannot be handled; `reason` is safe to show the sender."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.too_large = too_large
