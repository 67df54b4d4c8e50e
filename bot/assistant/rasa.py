"""The Rasa assistant behind the router: a trained model loaded in-process."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import ClientResponseError, EndpointConfig
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.assistant.actions.support import context as action_context
from bot.assistant.emoji import emoji_meaning
from bot.assistant.library_noise import silence_known_warnings
from bot.assistant.sessions import bound_sessions
from bot.assistant.tracker_cache import CachedSQLTrackerStore
from bot.conversation.language import LANGUAGE_KEY
from bot.conversation.messages import OutboundMessage
from bot.conversation.ports import AssistantReply
from bot.storage.database import get_engine, get_session_factory

if TYPE_CHECKING:
    from bot.app.content import Content
    from bot.app.settings import Settings

logger = logging.getLogger(__name__)
silence_known_warnings()  # also when imported without the command line (tests, the benchmark)

ACTIONS_PACKAGE = "bot.assistant.actions"

# The entity that carries the router's language choice into the `language` slot.
LANGUAGE_ENTITY = "language"

# Slash commands a customer may type, mapped to intents of the domain.
COMMAND_ALIASES = {"/start": "/greet", "/human": "/request_human", "/agent": "/request_human"}


class InProcessActionEndpoint(EndpointConfig):
    """Runs custom actions through rasa_sdk's executor in this process, so no action server
    has to be started, while actions stay ordinary rasa_sdk actions."""

    def __init__(self, package: str = ACTIONS_PACKAGE) -> None:
        from rasa_sdk.executor import ActionExecutor

        super().__init__(url=f"inprocess://{package}")
        self._executor = ActionExecutor()
        self._executor.register_package(package)

    async def request(self, method: str = "post", subpath: str | None = None, **kwargs: Any) -> Any:
        from rasa_sdk.interfaces import ActionExecutionRejection, ActionNotFoundException

        try:
            return await self._executor.run(kwargs["json"])
        except ActionExecutionRejection as error:
            # Same contract as the HTTP action server: Rasa turns a 400 into a rejection.
            body = json.dumps({"error": error.message, "action_name": error.action_name})
            raise ClientResponseError(400, "action rejected", body) from error
        except ActionNotFoundException as error:
            raise ClientResponseError(404, "action not found", str(error)) from error


@lru_cache(maxsize=1)
def _action_result_validator():
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self, result: dict[str, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`, with the validator built once.

    Rasa calls `jsonschema.validate` for every action result, which checks the (constant) schema
    itself each time: about a sixth of the server's time under load (`python -m
    bench.profile_server`). Same schema, same checks and error message; only the repeated schema
    check is gone."""
    from jsonschema import exceptions

    error = exceptions.best_match(_action_result_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from "
            "the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


RemoteAction._validate_action_result = _validate_action_result

_resolve_event_type = Event.resolve_by_type


@cache
def _event_types() -> dict[str, type[Event]]:
    types: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        types.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa's loop
    return types


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Rasa's `Event.resolve_by_type`, with the table of event classes built once.

    Rasa walks every subclass of Event (about 30, recursively) for each event it reads back from
    the tracker store: three quarters of the time spent loading a long conversation's tracker.
    Names it does not know go to Rasa's own function (its fallbacks and error)."""
    found = _event_types().get(type_name)
    return found if found is not None else _resolve_event_type(type_name, default)


Event.resolve_by_type = staticmethod(_resolve_by_type)  # type: ignore[method-assign]


# Rasa reads a session's events (and counts them before each save) from the sender's rows at or
# after the sender's latest session_started; its table has an index on the sender only, so every
# read went through every row of the conversation, JSON included (12 ms at 2,000 events, growing).
# With this index the reads stay flat in the conversation's length (1.7 ms). Rasa owns the table
# (it creates it on start), so the index is added the same way, idempotently.
_SESSION_INDEX = text('CREATE INDEX IF NOT EXISTS cxbot_events_session ON events (sender_id, type_name, "timestamp")')


# The tracker cache checks each sender's lowest and highest event id before it trusts its copy
# (bot/assistant/tracker_cache.py): on SQLite the sender index holds the row id already; other
# engines need it in the index for the lookup to stay one index probe.
_SENDER_ID_INDEX = text("CREATE INDEX IF NOT EXISTS cxbot_events_sender_id ON events (sender_id, id)")


def _index_session_reads(store: SQLTrackerStore) -> SQLTrackerStore:
    with store.engine.begin() as connection:
        connection.execute(_SESSION_INDEX)
        if store.engine.dialect.name != "sqlite":
            connection.execute(_SENDER_ID_INDEX)
    return store


def tracker_store_for(url: str) -> SQLTrackerStore:
    """Rasa's own SQL tracker store, on the database named by an SQLAlchemy URL, with the current
    sessions also in memory (tracker_cache.py)."""
    parsed = make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "sqlite":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        store = CachedSQLTrackerStore(None, dialect="sqlite", db=parsed.database)
        # Rasa's own engine opens a connection per use and keeps SQLite's rollback journal with a
        # full sync per write; ours pools connections in WAL mode (bot/storage/database.py).
        store.engine.dispose()
        store.engine = get_engine(url)
        store.sessionmaker = sessionmaker(bind=store.engine)
        return _index_session_reads(store)
    store = CachedSQLTrackerStore(
        None,  # Agent.load sets the domain
        dialect=parsed.drivername,
        host=parsed.host,
        port=parsed.port,
        db=parsed.database,
        username=parsed.username,
        password=parsed.password,
    )
    return _index_session_reads(store)


class ResponseCollector(CollectingOutputChannel):
    """Rasa's collecting channel, keeping the name of the response behind each message.

    Rasa 3.6 hands `send_response` the response name as `utter_action` (BotUttered metadata), but
    CollectingOutputChannel keeps only text, buttons, image, attachment and custom."""

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        response = message.get("utter_action")
        first = len(self.messages)
        await super().send_response(recipient_id, message)
        for collected in self.messages[first:]:  # a text with blank lines becomes several messages
            collected["utter_action"] = response


def _intent_of(parse_data: dict[str, Any]) -> tuple[str | None, float | None]:
    intent = parse_data.get("intent") or {}
    name = intent.get("full_retrieval_intent_name") or intent.get("name")
    return name, intent.get("confidence")


# Rasa's lock on a conversation outlives a dead holder by this long (Rasa's default is 60 s). The
# router's own lock (renewed while held) already orders a conversation across replicas; this one
# only has to free itself soon when a replica dies in the middle of a turn.
RASA_LOCK_SECONDS = 20


class RedisConversationLocks(RedisLockStore):
    """Rasa's RedisLockStore with a shorter lock lifetime and a shorter wait between tries."""

    def lock(self, conversation_id, lock_lifetime: float = RASA_LOCK_SECONDS, wait_time_in_seconds: float = 0.1):
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)


def lock_store_for(redis_url: str) -> LockStore | None:
    """Several replicas: Rasa's own conversation lock in the shared Redis (RedisLockStore, as Rasa
    deploys it); None keeps Rasa's in-memory lock store for one process."""
    if not redis_url:
        return None
    url = urlparse(redis_url)
    return RedisConversationLocks(
        host=url.hostname or "localhost",
        port=url.port or 6379,
        db=int(url.path.lstrip("/") or 0),
        username=url.username,
        password=url.password,
        use_ssl=url.scheme == "rediss",
        key_prefix="cxbot",
        socket_timeout=5,
    )


class RasaAssistant:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @classmethod
    def load(cls, model_path: Path, settings: Settings, content: Content) -> RasaAssistant:
        """Load a trained model with an SQL tracker store and the in-process action runner,
        whose actions work with `content` and the settings' database and shop name."""
        action_context.install(
            action_context.ActionContext(
                content=content, sessions=get_session_factory(settings.database_url), shop_name=settings.shop_name
            )
        )
        endpoint: EndpointConfig = (
            EndpointConfig(url=settings.action_server_url) if settings.action_server_url else InProcessActionEndpoint()
        )
        tracker_store = tracker_store_for(settings.tracker_database_url)
        agent = Agent.load(
            str(model_path),
            tracker_store=tracker_store,
            action_endpoint=endpoint,
            lock_store=lock_store_for(settings.redis_url),
        )
        if agent.processor is not None:
            bound_sessions(agent.processor, settings.tracker_session_messages)
        return cls(agent)

    def _known_command(self, text: str) -> str:
        """Map typed slash commands; unknown ones are read as words, not as Rasa intents."""
        command = COMMAND_ALIASES.get(text.split("{", 1)[0].strip().lower())
        if command:
            return command
        intent = text[1:].split("{", 1)[0].split("@", 1)[0].strip()
        if intent in self.agent.domain.intents:
            return text
        return text.lstrip("/") or "?"

    async def parse(self, text: str) -> tuple[str | None, float | None]:
        """The intent the NLU reads in a text, and how sure it is (no conversation changes)."""
        return _intent_of(await self.agent.parse_message(text))

    async def respond(
        self, conversation_id: str, text: str, *, channel: str, metadata: dict[str, Any]
    ) -> AssistantReply:
        if text.startswith("/"):
            text = self._known_command(text)
        else:
            # Emoji alone get a decided meaning (bot/assistant/emoji.py), not the NLU's guess.
            text = emoji_meaning(text) or text
        # The NLU reads Persian in canonical spelling (PersianNormaliser); actions and forms get the
        # text as typed.
        parse_data = {**await self.agent.parse_message(text), "text": text}
        language = metadata.get(LANGUAGE_KEY)
        if language:
            # The router's choice fills the `language` slot (domain/_shared.yml), which picks the
            # responses' variations; as an entity it also reaches button taps, which skip the NLU.
            parse_data["entities"] = [
                *parse_data.get("entities", []),
                {"entity": LANGUAGE_ENTITY, "value": language, "extractor": "router"},
            ]
        output = ResponseCollector()
        await self.agent.handle_message(
            UserMessage(
                text,
                output,
                conversation_id,
                parse_data=parse_data,
                input_channel=channel,
                metadata=metadata,
            )
        )
        intent, confidence = _intent_of(parse_data)
        messages = [replace(OutboundMessage.from_dict(m), response=m.get("utter_action")) for m in output.messages]
        return AssistantReply(messages=messages, intent=intent, confidence=confidence)
