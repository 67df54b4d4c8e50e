"""A router with a scripted assistant in place of Rasa, and inbound messages for it."""

from __future__ import annotations

import asyncio

from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.conversation.ports import AssistantReply
from bot.conversation.router import ConversationRouter
from bot.handoff.policy import HandoffByRules
from feedback.sentiment import TextBlobScorer
from tests.support.content import project_content


class ScriptedAssistant:
    """Echoes the text back after a delay and records the order it was asked in."""

    def __init__(self, delay: float = 0.0, fail: bool = False, intent: str = "faq/x") -> None:
        self.delay = delay
        self.fail = fail
        self.intent = intent
        self.calls: list[str] = []
        self.active = 0
        self.max_active = 0

    async def respond(self, conversation_id, text, *, channel, metadata):
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            self.calls.append(text)
            await asyncio.sleep(self.delay)
            if self.fail:
                raise RuntimeError("model exploded")
            return AssistantReply(messages=[OutboundMessage(text=f"echo: {text}")], intent=self.intent, confidence=0.9)
        finally:
            self.active -= 1


def make_router(session_factory, assistant, **kwargs) -> ConversationRouter:
    content = project_content()
    return ConversationRouter(
        session_factory=session_factory,
        assistant=assistant,
        scorer=TextBlobScorer(),
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
        **kwargs,
    )


def inbound(text: str, sender: str = "c1", **kwargs) -> InboundMessage:
    return InboundMessage(channel="rest", sender_id=sender, text=text, **kwargs)
