"""The web server and the one wiring place: every part is built here, in reading order.

create_app() reads the content folder once (bot/app/content.py: a broken file stops the start) and
mounts the channels, the staff console and the dashboard. On start-up the database
is migrated and the assistant loads in the background (the server answers "starting" meanwhile);
then start_services() builds the conversation router and the staff desk, subscribes the
listeners to their events, and starts the Telegram channel with its staff chat.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.app.cluster.node import UNAVAILABLE
from bot.app.cluster.telegram import lease_polling, once_per_update
from bot.app.cluster.wiring import Cluster, join
from bot.app.content import Content, ContentError, load_content
from bot.app.settings import Settings
from bot.app.unanswered import answer_left_over
from bot.channels import rest
from bot.channels.base import ChannelRegistry
from bot.channels.telegram import channel as telegram
from bot.channels.widget import routes as widget
from bot.channels.widget.history import HistoryReader
from bot.conversation import store
from bot.conversation.events import (
    ConversationEscalated,
    CustomerMessageForStaff,
    EventBus,
    HandoffChanged,
    HandoffQueued,
    MessageForHolder,
)
from bot.conversation.router import Assistant, ConversationRouter, NeverMind, ReadingAssistant
from bot.dashboard import routes as dashboard
from bot.desk.console import routes as console
from bot.desk.console.access import STATE as CONSOLE
from bot.desk.service import Desk
from bot.desk.telegram_staff import StaffChat
from bot.handoff.policy import HandoffByRules
from bot.storage.database import get_session_factory, migrate, run_in_session
from bot.storage.models import utcnow
from feedback.sentiment import SentimentScorer

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 2


@dataclass
class AppState:
    settings: Settings
    content: Content
    model_path: Path
    sessions: sessionmaker
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    events: EventBus = field(default_factory=EventBus)
    telegram: telegram.TelegramChannel | None = None
    router: ConversationRouter | None = None  # once the assistant is loaded
    desk: Desk | None = None  # the staff desk, likewise
    loader: asyncio.Task | None = None
    load_error: str | None = None
    started: float = field(default_factory=time.monotonic)
    # Messages stored before this moment and never answered were left by an earlier process.
    started_at: datetime = field(default_factory=utcnow)
    recovery: asyncio.Task | None = None
    cluster: Cluster | None = None  # with CXBOT_REDIS_URL: one replica of several
    ready_after_seconds: float | None = None


STATE = web.AppKey("cxbot", AppState)


# --- the services, built once the assistant is loaded ---


def build_router(
    settings: Settings,
    content: Content,
    assistant: Assistant,
    *,
    events: EventBus | None = None,
    never_mind: NeverMind | None = None,
    scorer: SentimentScorer | None = None,
    cluster: Cluster | None = None,
) -> ConversationRouter:
    return ConversationRouter(
        session_factory=get_session_factory(settings.database_url),
        assistant=assistant,
        scorer=scorer or content.sentiment,
        # The router sits below the handoff package: when a person takes over is decided here.
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
        max_message_chars=settings.max_message_chars,
        conversation_timeout=timedelta(minutes=settings.conversation_timeout_minutes),
        events=events,
        never_mind=never_mind,
        **(cluster.router_options() if cluster else {}),
    )


def build_services(
    settings: Settings,
    content: Content,
    assistant: ReadingAssistant,
    *,
    channels: ChannelRegistry,
    events: EventBus,
    scorer: SentimentScorer | None = None,
    cluster: Cluster | None = None,
) -> tuple[ConversationRouter, Desk]:
    """The router and the staff desk; the desk hears the router's events."""
    # A waiting customer's "never mind" is read by the assistant's NLU and answered in the desk's words.
    never_mind = NeverMind(parse=assistant.parse, reply=content.desk.say("cancelled"))
    router = build_router(
        settings, content, assistant, events=events, never_mind=never_mind, scorer=scorer, cluster=cluster
    )
    minutes = settings.desk_queue_timeout_minutes
    desk = Desk(
        sessions=get_session_factory(settings.database_url),
        router=router,
        channels=channels,
        content=content.desk,
        recovery=content.recovery,
        escalation=content.escalation,
        events=events,
        queue_timeout=timedelta(minutes=minutes) if minutes > 0 else None,
    )
    events.subscribe(ConversationEscalated, desk.on_escalated)
    events.subscribe(CustomerMessageForStaff, desk.on_customer_message)
    events.subscribe(HandoffChanged, desk.on_handoff_changed)
    return router, desk


def start_telegram(state: AppState, router: ConversationRouter, desk: Desk) -> None:
    """Telegram serves customers through the router and staff through the desk's staff chat."""
    channel = state.telegram
    staff = StaffChat(channel, state.settings.telegram_staff_chat_id, desk, state.sessions)
    state.events.subscribe(HandoffQueued, staff.announce)
    state.events.subscribe(MessageForHolder, staff.relay_customer_message)
    state.events.subscribe(HandoffChanged, staff.handoff_changed)
    if state.cluster is not None and state.settings.telegram_mode == "polling":
        lease_polling(state.cluster.node, channel)
    channel.start(router, staff=staff.handle)


async def start_services(state: AppState) -> None:
    """Load the assistant, then build and start everything that needs it."""
    from bot.assistant.rasa import RasaAssistant

    try:
        # Loading TensorFlow and the model takes seconds: keep the server answering meanwhile.
        assistant = await asyncio.to_thread(RasaAssistant.load, state.model_path, state.settings, state.content)
    except Exception as error:
        logger.exception("could not load the model %s", state.model_path)
        state.load_error = str(error)
        return
    router, desk = build_services(
        state.settings, state.content, assistant, channels=state.channels, events=state.events, cluster=state.cluster
    )
    if state.telegram is not None:
        start_telegram(state, router, desk)
    state.router, state.desk = router, desk
    if state.cluster is None:
        desk.start()
    else:
        state.cluster.start_desk(desk)
    state.recovery = asyncio.create_task(_answer_left_over(state, router))
    state.ready_after_seconds = round(time.monotonic() - state.started, 2)
    logger.info("assistant ready after %.1f s", state.ready_after_seconds)


async def _answer_left_over(state: AppState, router: ConversationRouter) -> None:
    """Answer what a crash left unanswered, once the channels that push are connected."""
    if state.telegram is not None:
        try:
            await asyncio.wait_for(state.telegram.ready.wait(), timeout=30)
        except asyncio.TimeoutError:
            logger.warning("telegram not connected; late answers for it are only stored")
    window = timedelta(minutes=state.settings.recover_unanswered_minutes)
    try:
        await answer_left_over(router, state.sessions, state.channels, window=window, started=state.started_at)
    except Exception:
        logger.exception("could not answer the messages left unanswered")


def widget_history(sessions: sessionmaker) -> HistoryReader:
    """The widget's history reads, from the message store."""

    async def read(sender_id: str, limit: int) -> list[store.StoredMessage]:
        return await run_in_session(
            sessions, lambda s: store.latest_conversation(s, channel=widget.CHANNEL, sender_id=sender_id, limit=limit)
        )

    return read


async def _first_admin_hint(sessions: sessionmaker) -> None:
    from bot.desk.auth import count_admins

    if not await run_in_session(sessions, count_admins):
        logger.warning(
            "staff desk: no admin yet; create one with "
            "`cxbot user add admin --name <first name> --role admin`, then sign in at /desk"
        )


@web.middleware
async def json_errors(request: web.Request, handler):
    """Every error leaves as JSON; nothing unexpected leaks a stack trace."""
    try:
        return await handler(request)
    except web.HTTPException as http_error:
        if http_error.content_type == "application/json":
            raise
        message = http_error.reason
        if isinstance(http_error, web.HTTPRequestEntityTooLarge):
            message = f"the body is larger than {MAX_BODY_BYTES} bytes"
        return web.json_response({"error": message}, status=http_error.status)
    except UNAVAILABLE as unavailable:
        # Redis is away (restarting) or a conversation's lock was not had in time: try again soon.
        logger.warning("cluster unavailable on %s %s: %s", request.method, request.path, unavailable)
        return web.json_response(
            {"error": "busy; try again shortly"}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


async def health(request: web.Request) -> web.Response:
    """GET /health: 200 once the model is loaded, 503 before (or if loading failed)."""
    state = request.app[STATE]
    if state.router is None:
        body = {"status": "failed" if state.load_error else "starting", "model": state.model_path.name}
        if state.load_error:
            body["error"] = state.load_error
        return web.json_response(body, status=503)
    return web.json_response(
        {"status": "ok", "model": state.model_path.name, "ready_after_seconds": state.ready_after_seconds}
    )


async def _on_startup(app: web.Application) -> None:
    state = app[STATE]
    await asyncio.to_thread(migrate, state.settings.database_url)
    await _first_admin_hint(state.sessions)
    if state.cluster is not None:
        state.cluster.start()
    state.loader = asyncio.create_task(start_services(state))


async def _on_shutdown(app: web.Application) -> None:
    # On shutdown, not cleanup: aiohttp waits for running tasks before it cleans up.
    desk = app[STATE].desk
    if desk is not None:
        desk.stop()
    if app[STATE].cluster is not None:
        await app[STATE].cluster.stop()


async def _on_cleanup(app: web.Application) -> None:
    for task in (app[STATE].loader, app[STATE].recovery):
        if task is not None and not task.done():
            task.cancel()


def create_app(settings: Settings, model_path: Path, content: Content | None = None) -> web.Application:
    """The server; `content` is read from the settings' content folder unless given (a broken file
    raises ContentError here, before anything starts)."""
    content = content or load_content(settings.content_dir)
    cluster = join(settings.redis_url)
    middlewares = [json_errors]
    if cluster is not None and settings.telegram_mode == "webhook":
        middlewares.append(once_per_update(cluster.node))
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares)
    state = AppState(settings, content, model_path, get_session_factory(settings.database_url), cluster=cluster)
    app[STATE] = state
    app.router.add_get("/health", health)
    rest.add_routes(app, router=lambda: state.router)
    widget.add_routes(
        app, settings, channels=state.channels, router=lambda: state.router, history=widget_history(state.sessions)
    )
    console.add_routes(app, settings, state.sessions, desk=lambda: state.desk)
    # The manager dashboard, behind the console's login (manager and admin roles).
    dashboard.add_routes(app, console.guard, state.sessions, currency=content.compensation.currency)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    # After the server's own hooks, so Telegram stops after the desk; started by start_services().
    state.telegram = telegram.setup(app, settings, state.channels)
    if cluster is not None:
        cluster.share_pushes(state.channels, app[CONSOLE])
    return app


def run(settings: Settings, model_path: Path, content: Content | None = None) -> None:
    try:
        app = create_app(settings, model_path, content)
    except ContentError as bad_content:
        raise SystemExit(f"cxbot: content: {bad_content}") from None
    except ValueError as bad_setting:
        raise SystemExit(f"cxbot: {bad_setting}") from None
    print(f"cxbot: serving on http://{settings.host}:{settings.port} (Ctrl-C stops)", flush=True)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
    )
