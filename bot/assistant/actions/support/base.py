"""The base of the custom actions: each names itself in `action_name` and writes only its body."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class CustomAction(Action, ABC):
    """An action of domain/ run through rasa_sdk. `act` is abstract, so rasa_sdk's executor
    registers the actions that write it and never this base."""

    action_name: ClassVar[str]

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return self.act(dispatcher, tracker, domain)

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """What the action says through the dispatcher; returns the events for the tracker."""
