"""The web server: channels, health, and the assistant loaded in the background."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from aiohttp import web

from bot.channels import rest
from bot.channels.telegram import channel as telegram
from bot.channels.widget import routes as widget
from bot.channels.base import ChannelRegistry
from bot.desk.console import routes as console
from bot.conversation.router import ConversationRouter
from bot.app.settings import Settings
from bot.storage.database import get_session_factory, migrate
from bot.dashboard import routes as dashboard
from feedback.sentiment import default_scorer

if TYPE_CHECKING:
    from bot.desk.service import Desk

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024


@dataclass
class AppState:
    model_path: Path
    router: Optional[ConversationRouter] = None
    desk: Optional["Desk"] = None  # the staff desk, once the assistant is loaded
    load_error: Optional[str] = None
    started: float = field(default_factory=time.monotonic)
    ready_after_seconds: Optional[float] = None


def build_router(settings: Settings, assistant) -> ConversationRouter:
    return ConversationRouter(
        session_factory=get_session_factory(settings.database_url),
        assistant=assistant,
        scorer=default_scorer(),
        max_message_chars=settings.max_message_chars,
        conversation_timeout=timedelta(minutes=settings.conversation_timeout_minutes),
    )


def build_desk(settings: Settings, router: ConversationRouter, channels: ChannelRegistry):
    from bot.desk.content import load_content
    from bot.desk.service import Desk
    from feedback.recovery import load_content as load_recovery

    minutes = settings.desk_queue_timeout_minutes
    return Desk(
        sessions=get_session_factory(settings.database_url),
        router=router,
        channels=channels,
        content=load_content(settings.content_dir),
        recovery=load_recovery(settings.content_dir / "recovery.yml"),
        queue_timeout=timedelta(minutes=minutes) if minutes > 0 else None,
    )


async def _first_admin_hint(settings: Settings) -> None:
    from bot.desk.auth import count_admins

    def admins() -> int:
        with get_session_factory(settings.database_url)() as session:
            return count_admins(session)

    if not await asyncio.to_thread(admins):
        logger.warning("staff desk: no admin yet; create one with "
                       "`cxbot user add admin --name <first name> --role admin`, then sign in at /desk")


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
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


async def health(request: web.Request) -> web.Response:
    """GET /health: 200 once the model is loaded, 503 before (or if loading failed)."""
    state: AppState = request.app["state"]
    if state.router is None:
        body = {"status": "failed" if state.load_error else "starting", "model": state.model_path.name}
        if state.load_error:
            body["error"] = state.load_error
        return web.json_response(body, status=503)
    return web.json_response(
        {"status": "ok", "model": state.model_path.name, "ready_after_seconds": state.ready_after_seconds}
    )


async def _load_assistant(app: web.Application) -> None:
    from bot.assistant.rasa import RasaAssistant

    settings: Settings = app["settings"]
    state: AppState = app["state"]
    try:
        # Loading TensorFlow and the model takes seconds: keep the server answering meanwhile.
        assistant = await asyncio.to_thread(RasaAssistant.load, state.model_path, settings)
    except Exception as error:
        logger.exception("could not load the model %s", state.model_path)
        state.load_error = str(error)
        return
    router = build_router(settings, assistant)
    state.desk = build_desk(settings, router, app["channels"])
    state.router = router
    state.desk.start()
    state.ready_after_seconds = round(time.monotonic() - state.started, 2)
    logger.info("assistant ready after %.1f s", state.ready_after_seconds)


async def _on_startup(app: web.Application) -> None:
    settings: Settings = app["settings"]
    await asyncio.to_thread(migrate, settings.database_url)
    await _first_admin_hint(settings)
    app["loader"] = asyncio.create_task(_load_assistant(app))


async def _on_cleanup(app: web.Application) -> None:
    loader: asyncio.Task = app["loader"]
    if not loader.done():
        loader.cancel()


async def _stop_desk(app: web.Application) -> None:
    # On shutdown, not cleanup: aiohttp waits for running tasks before it cleans up.
    desk = app["state"].desk
    if desk is not None:
        desk.stop()


def create_app(settings: Settings, model_path: Path) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[json_errors])
    app["settings"] = settings
    app["state"] = AppState(model_path=model_path)
    app["channels"] = ChannelRegistry()
    app.router.add_get("/health", health)
    rest.add_routes(app)
    widget.add_routes(app)
    console.add_routes(app, settings)
    # The manager dashboard, behind the console's login (manager and admin roles).
    dashboard.add_routes(app, console.guard)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_stop_desk)
    app.on_cleanup.append(_on_cleanup)
    # After the server's own hooks: Telegram starts once the assistant has loaded.
    telegram.setup(app, settings)
    return app


def run(settings: Settings, model_path: Path) -> None:
    try:
        app = create_app(settings, model_path)
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
