"""What every channel offers the rest of the product: delivering messages it did not ask for.

Replies to a customer's message go back on the request that brought it. Messages that start
elsewhere (a staff member's reply, "a team member joined") need the channel to push them; each
channel registers itself here under its name, so the staff desk never imports a channel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Optional, Protocol

from bot.conversation.messages import OutboundMessage

if TYPE_CHECKING:
    from bot.conversation.router import ConversationRouter

# The router, once the assistant has loaded (None until then: channels answer "starting").
RouterSource = Callable[[], Optional["ConversationRouter"]]


class PushChannel(Protocol):
    name: str

    async def deliver(self, sender_id: str, messages: Sequence[OutboundMessage]) -> None:
        """Send messages to one customer of this channel; raise if they cannot be delivered."""


class ChannelRegistry:
    def __init__(self) -> None:
        self._channels: dict[str, PushChannel] = {}

    def register(self, channel: PushChannel) -> None:
        self._channels[channel.name] = channel

    def get(self, name: str) -> PushChannel | None:
        return self._channels.get(name)

    def names(self) -> list[str]:
        return sorted(self._channels)

    async def deliver(self, channel: str, sender_id: str, messages: Sequence[OutboundMessage]) -> bool:
        """False when the channel cannot push (REST has no way to reach the customer later)."""
        target = self._channels.get(channel)
        if target is None:
            return False
        await target.deliver(sender_id, messages)
        return True
