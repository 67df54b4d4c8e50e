"""The web server and the one wiring place: every part is built here, in reading order.

create_app() reads the content folder once (bot/app/content.py: a broken file stops the start) and
mounts the channels, the staff console and the dashboard. On start-up the database is migrated and
the assistant loads in the background (the server answers "starting" meanwhile); then
start_services() builds the router and the desk, subscribes the listeners, and starts Telegram.
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

from bot.app.cluster.telegram import lease_polling, once_per_update
from bot.app.cluster.wiring import Cluster, join
from bot.app.console import ready_block
from bot.app.content import Content, ContentError, load_content
from bot.app.http_errors import MAX_BODY_BYTES, middlewares
from bot.app.settings import Settings, check_cookie_settings
from bot.app.sweeper import JOB as SWEEP_JOB
from bot.app.sweeper import sweep_daily
from bot.app.unanswered import answer_left_over
from bot.channels import rest, telegram
from bot.channels.base import ChannelRegistry
from bot.channels.limits import Guard, MemoryRateLimiter
from bot.channels.widget import routes as widget
from bot.channels.widget import telegram_link
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
from bot.conversation.language import Languages
from bot.conversation.ports import Assistant, NeverMind, ReadingAssistant
from bot.conversation.router import ConversationRouter
from bot.dashboard import routes as dashboard
from bot.desk.auth import secret_key
from bot.desk.console import routes as console
from bot.desk.console.access import STATE as CONSOLE
from bot.desk.service import Desk
from bot.followup.answers import FollowUpAnswers
from bot.followup.scheduler import FollowUpScheduler
from bot.handoff.policy import HandoffByRules
from bot.people.links import LinkTokens
from bot.people.start import DeepLinkStart
from bot.storage.database import get_session_factory, migrate, run_in_session
from bot.storage.models import utcnow
from feedback.sentiment import SentimentScorer

logger = logging.getLogger(__name__)


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
    followups: FollowUpScheduler | None = None  # the follow-up scheduler, likewise
    loader: asyncio.Task | None = None
    sweeper: asyncio.Task | None = None  # the daily retention sweep
    load_error: str | None = None
    started: float = field(default_factory=time.monotonic)
    # Messages stored before this moment and never answered were left by an earlier process.
    started_at: datetime = field(default_factory=utcnow)
    recovery: asyncio.Task | None = None
    cluster: Cluster | None = None  # with CXBOT_REDIS_URL: one replica of several
    ready_after_seconds: float | None = None


STATE = web.AppKey("cxbot", AppState)


# --- the services, built once the assistant is loaded ---


def languages_of(settings: Settings) -> Languages:
    """The languages served (CXBOT_LANGUAGES, CXBOT_DEFAULT_LANGUAGE); a shop serving one
    language gets it as the default whatever CXBOT_DEFAULT_LANGUAGE says."""
    default = settings.default_language if settings.default_language in settings.languages else None
    return Languages(served=settings.languages, default=default or settings.languages[0])


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
        handoff=HandoffByRules(
            rules=content.escalation,
            desk=content.desk,
            translations={
                language: HandoffByRules(rules=worded.escalation, desk=worded.desk)
                for language, worded in content.translations.items()
            },
        ),
        max_message_chars=settings.max_message_chars,
        conversation_timeout=timedelta(minutes=settings.conversation_timeout_minutes),
        max_conversation_messages=settings.max_conversation_messages,
        events=events,
        never_mind=never_mind,
        languages=languages_of(settings),
        followups=FollowUpAnswers(content.followup, content.escalation, content.desk),
        apologies={c.language: c.desk.say("assistant_error") for c in (content, *content.translations.values())},
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
    never_mind = NeverMind(
        parse=assistant.parse,
        reply=content.desk.say("cancelled"),
        translations={language: worded.desk.say("cancelled") for language, worded in content.translations.items()},
    )
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
        recovery_translations={language: worded.recovery for language, worded in content.translations.items()},
        events=events,
        queue_timeout=timedelta(minutes=minutes) if minutes > 0 else None,
    )
    events.subscribe(ConversationEscalated, desk.on_escalated)
    events.subscribe(CustomerMessageForStaff, desk.on_customer_message)
    events.subscribe(HandoffChanged, desk.on_handoff_changed)
    return router, desk


def start_telegram(state: AppState, router: ConversationRouter, desk: Desk) -> None:
    """Telegram serves customers through the router and staff through the desk's staff chat."""
    from bot.desk.telegram_staff import StaffChat

    channel = state.telegram
    staff = StaffChat(channel, state.settings.telegram_staff_chat_id, desk, state.sessions)
    state.events.subscribe(HandoffQueued, staff.announce)
    state.events.subscribe(MessageForHolder, staff.relay_customer_message)
    state.events.subscribe(HandoffChanged, staff.handoff_changed)
    if state.cluster is not None and state.settings.telegram_mode == "polling":
        lease_polling(state.cluster.node, channel)
    channel.start(router, staff=staff.handle)


def _load_assistant(state: AppState) -> ReadingAssistant:
    """In a worker thread: importing Rasa and TensorFlow and reading the model take seconds."""
    from threadpoolctl import threadpool_limits

    from bot.assistant.rasa import RasaAssistant

    assistant = RasaAssistant.load(state.model_path, state.settings, state.content)
    # OpenBLAS's idle threads spin after each small product: 7-13 ms CPU a message (profile_server --cpu).
    threadpool_limits(limits=1, user_api="blas")
    return assistant


async def start_services(state: AppState) -> None:
    """Load the assistant, then build and start everything that needs it."""
    try:
        # Off the event loop, the imports included: /health and the pages keep answering meanwhile.
        assistant = await asyncio.to_thread(_load_assistant, state)
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
    # Due follow-ups go out through the channels (Telegram pushes; the widget shows them on the next visit).
    state.followups = FollowUpScheduler(
        sessions=state.sessions,
        content=state.content.followup,
        deliver=state.channels.deliver,
        delivered=router.mark_delivered,
    )
    state.followups.start()
    state.recovery = asyncio.create_task(_answer_left_over(state, router))
    state.ready_after_seconds = round(time.monotonic() - state.started, 2)
    logger.debug("assistant ready after %.1f s", state.ready_after_seconds)


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


def telegram_links(state: AppState, tokens: LinkTokens) -> telegram_link.IssueLink:
    """The widget's deep links: a one-time token for t.me/<bot>, once Telegram is connected."""

    async def issue(sender_id: str) -> str | None:
        channel = state.telegram
        if channel is None or not channel.ready.is_set() or not channel.bot.username:
            return None
        token = await run_in_session(
            state.sessions, lambda s: tokens.issue(s, channel=widget.CHANNEL, sender_id=sender_id)
        )
        return f"https://t.me/{channel.bot.username}?start={token}"

    return issue


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
    if state.cluster is not None:
        state.cluster.start()
    state.loader = asyncio.create_task(start_services(state))
    # With several replicas the day's sweep runs on one of them (the first to ask once it is due).
    due = state.cluster.once_a_day(SWEEP_JOB) if state.cluster is not None else None
    retention, tracker_url = state.content.retention, state.settings.tracker_database_url
    state.sweeper = asyncio.create_task(sweep_daily(state.sessions, retention, tracker_url=tracker_url, due=due))


async def _on_shutdown(app: web.Application) -> None:
    # On shutdown, not cleanup: aiohttp waits for running tasks before it cleans up.
    desk = app[STATE].desk
    if desk is not None:
        desk.stop()
    if app[STATE].followups is not None:
        app[STATE].followups.stop()
    if app[STATE].cluster is not None:
        await app[STATE].cluster.stop()


async def _on_cleanup(app: web.Application) -> None:
    for task in (app[STATE].loader, app[STATE].sweeper, app[STATE].recovery):
        if task is not None and not task.done():
            task.cancel()


def create_app(settings: Settings, model_path: Path, content: Content | None = None) -> web.Application:
    """The server; `content` is read from the settings' content folder unless given (a broken file
    raises ContentError here, before anything starts)."""
    check_cookie_settings(settings)
    content = content or load_content(settings.content_dir)
    cluster = join(settings.redis_url)
    chain = list(middlewares(settings))
    if cluster is not None and settings.telegram_mode == "webhook":
        chain.append(once_per_update(cluster.node))
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=chain)
    state = AppState(settings, content, model_path, get_session_factory(settings.database_url), cluster=cluster)
    app[STATE] = state
    # Message limits counted in this process, or in Redis when several replicas share the count.
    limiter = cluster.rate_limiter() if cluster is not None else MemoryRateLimiter()
    guard = Guard(content.limits, limiter, trusted_proxies=settings.trusted_proxies)
    app.router.add_get("/health", health)
    rest.add_routes(app, router=lambda: state.router, guard=guard)
    widget.add_routes(
        app,
        settings,
        channels=state.channels,
        router=lambda: state.router,
        history=widget_history(state.sessions),
        guard=guard,
    )
    console.add_routes(app, settings, state.sessions, desk=lambda: state.desk)
    # The manager dashboard, behind the console's login (manager and admin roles).
    dashboard.add_routes(
        app, console.guard, state.sessions, currency=content.compensation.currency, journey=content.journey
    )
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    # Link tokens are signed with the desk's secret (CXBOT_SECRET_KEY, or the one kept in data_dir).
    tokens = LinkTokens(secret_key(settings.secret_key, settings.data_dir))
    telegram_link.add_route(app, settings, telegram_links(state, tokens))
    # After the server's own hooks, so Telegram stops after the desk; started by start_services().
    state.telegram = telegram.setup(
        app,
        settings,
        state.channels,
        content.telegram_commands,
        guard,
        deep_links=DeepLinkStart(state.sessions, tokens, content.people),
        replies=content.telegram_replies,
    )
    if cluster is not None:
        cluster.share_pushes(state.channels, app[CONSOLE])
    return app


async def _announce_when_ready(state: AppState) -> None:
    from bot.desk.auth import count_admins

    if state.loader is not None:
        await state.loader
    if state.load_error:
        print(f"The assistant could not be loaded ({state.load_error}); /health answers 503.", flush=True)
        return
    needs_admin = not await run_in_session(state.sessions, count_admins)
    print(ready_block(state.settings, state.ready_after_seconds, needs_admin=needs_admin), flush=True)


def run(settings: Settings, model_path: Path, content: Content | None = None) -> None:
    """Serve until Ctrl-C or SIGTERM, telling the person at the console what happens."""
    try:
        app = create_app(settings, model_path, content)
    except ContentError as bad_content:
        raise SystemExit(f"cxbot: content: {bad_content}") from None
    except ValueError as bad_setting:
        raise SystemExit(f"cxbot: {bad_setting}") from None
    announcer: set[asyncio.Task] = set()

    async def announce(app: web.Application) -> None:
        announcer.add(asyncio.create_task(_announce_when_ready(app[STATE])))

    app.on_startup.append(announce)  # after _on_startup, which starts the loader
    print(f"Loading the assistant ({model_path.name}); the pages answer meanwhile...", flush=True)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        # Requests still running after a second are cut at Ctrl-C (open sockets are closed before).
        shutdown_timeout=1.0,
    )
