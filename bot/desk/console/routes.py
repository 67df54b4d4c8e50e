"""The staff console: server-rendered pages under /desk, live by server-sent events.

Security, in one place:
- a login makes a random session token; the cookie (HttpOnly, SameSite=Strict, Secure unless
  CXBOT_DESK_COOKIE_SECURE=false) carries it, the database keeps only its hash;
- every POST carries a CSRF token (a form field or the X-CSRF-Token header) bound to the session;
  the login form, before any session, uses a double-submit cookie;
- every route but the login page and static files asks for a role: anonymous page views go to
  the login page, anything else gets 401, a lower role 403;
- Jinja escapes everything, and the Content-Security-Policy allows only this server's own script
  (the security headers of every staff page: bot/app/staff_headers.py, wired by the server).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.desk import auth, views
from bot.desk.console import followups, people, privacy, users
from bot.desk.console.access import (
    COOKIE_PATHS,
    CSRF_FIELD,
    CSRF_HEADER,
    HERE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    STATE,
    ConsoleState,
    Staff,
    current_staff,
    db,
    desk_of,
    guard,
    int_param,
    page,
    redirect,
    refuse,
    requires,
    set_cookie,
)
from bot.desk.profile import person_profile
from bot.desk.service import Desk, compensations_conversation
from bot.handoff.transitions import AlreadyClaimed, TransitionRefused
from bot.privacy import audit
from bot.storage.ids import row_id
from bot.storage.models import Conversation, HandoffRequest, StaffRole, StaffUser, utcnow

if TYPE_CHECKING:
    from bot.app.settings import Settings

logger = logging.getLogger(__name__)

EVENTS_REFRESH_SECONDS = 10

# Re-exported for the server and the tests: the console's names in one place.
__all__ = ["CONSOLE_ROUTES", "CSRF_HEADER", "LOGIN_COOKIE", "SESSION_COOKIE", "add_routes", "guard"]

# --- login ------------------------------------------------------------------------------------


async def login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    if not error and await current_staff(request) is not None:
        return redirect("/desk")
    token = secrets.token_urlsafe(24)
    no_users = await db(request, lambda s: not auth.list_users(s))
    response = page("login.html", status=status, error=error, login_csrf=token, no_users=no_users, staff=None)
    set_cookie(response, request, LOGIN_COOKIE, token, 3600)
    return response


def _address(request: web.Request) -> str:
    """The client's address; behind a trusted proxy (HAProxy), the one it forwarded, so login
    limits count each client, not the proxy."""
    remote = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and remote in request.app[STATE].settings.trusted_proxies:
        return forwarded.split(",")[-1].strip()[:64] or remote
    return remote


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    offered, expected = str(form.get(CSRF_FIELD, "")), request.cookies.get(LOGIN_COOKIE, "")
    if not offered or not expected or not secrets.compare_digest(offered, expected):
        return await login_page(request, "The login form expired; please try again.", 403)
    username = str(form.get("username", ""))[:64].strip().lower()
    password = str(form.get("password", ""))[:1024]
    state = request.app[STATE]
    if state.limiter.blocked(username, _address(request)):
        return await login_page(request, "Too many failed logins; wait a few minutes and try again.", 429)
    user = await db(request, lambda s: auth.authenticate(s, username, password))
    if user is None:
        state.limiter.failed(username, _address(request))
        logger.warning("desk: failed login for %r from %s", username, _address(request))
        return await login_page(request, "Wrong user name or password.", 401)
    state.limiter.succeeded(username, _address(request))
    lifetime = timedelta(hours=state.settings.desk_session_hours)
    token = await db(request, lambda s: auth.start_session(s, s.get(StaffUser, user.id), lifetime))
    response = redirect("/desk")
    set_cookie(response, request, SESSION_COOKIE, token, int(lifetime.total_seconds()))
    response.del_cookie(LOGIN_COOKIE, path="/desk")
    return response


@requires(StaffRole.AGENT.value)
async def logout(request: web.Request, staff: Staff) -> web.Response:
    await db(request, lambda s: auth.end_session(s, staff.token))
    response = redirect("/desk/login")
    response.del_cookie(SESSION_COOKIE, path=COOKIE_PATHS[SESSION_COOKIE])
    return response


# --- the queue --------------------------------------------------------------------------------


def _not_ready(request: web.Request) -> web.Response | None:
    if desk_of(request) is None:
        return refuse(request, 503, "the assistant is starting; reload in a moment")
    return None


@requires(StaffRole.AGENT.value)
async def queue_page(request: web.Request, staff: Staff) -> web.Response:
    rows = await db(request, lambda s: views.queue(s, utcnow()))
    return page("queue.html", staff=staff, rows=rows)


@requires(StaffRole.AGENT.value)
async def queue_fragment(request: web.Request, staff: Staff) -> web.Response:
    rows = await db(request, lambda s: views.queue(s, utcnow()))
    return page("_queue.html", staff=staff, rows=rows)


# A stream sends its headers before the server's security middleware sees the response, so it
# carries the staff pages' headers itself (bot/app/staff_headers.py).
EVENT_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
}


@requires(StaffRole.AGENT.value)
async def events(request: web.Request, staff: Staff) -> web.StreamResponse:
    """GET /desk/events: server-sent events telling the page what to reload."""
    desk = desk_of(request)
    response = web.StreamResponse(headers=EVENT_HEADERS)
    await response.prepare(request)
    stopping = request.app[STATE].stopping

    async def send(kind: str, data: dict) -> None:
        await response.write(f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode())

    await send("hello", {"user": staff.username})
    if desk is None:
        return response
    with desk.live.subscribe() as queue:
        while not stopping.is_set():
            getter = asyncio.ensure_future(queue.get())
            stopper = asyncio.ensure_future(stopping.wait())
            done, _ = await asyncio.wait(
                {getter, stopper}, timeout=EVENTS_REFRESH_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            for task in (getter, stopper):
                if task not in done:
                    task.cancel()
            try:
                if getter in done:
                    event = getter.result()
                    if event["kind"] == "queue":
                        await send("queue", {})
                    else:
                        await send("conversation", {"id": event["conversation_id"]})
                elif not done:
                    # Now and then: another process may have changed the queue; a disabled
                    # account's stream ends here.
                    if await current_staff(request) is None:
                        break
                    await send("queue", {})
            except (ConnectionResetError, RuntimeError):
                break
    return response


# --- one conversation -------------------------------------------------------------------------


async def _conversation(
    request: web.Request,
    staff: Staff,
    conversation_id: int,
    *,
    error: str = "",
    status: int = 200,
    fragment: bool = False,
) -> web.Response:
    view = await db(request, lambda s: views.conversation_view(s, conversation_id))
    if view is None:
        return refuse(request, 404, "there is no such conversation")
    colleagues = await db(
        request,
        lambda s: [(u.id, u.display_name) for u in auth.active_users(s) if u.id != (view.holder_id or staff.id)],
    )
    desk = desk_of(request)
    # The replies in the customer's language, as the bot speaks with them.
    canned = desk.content.in_language(view.customer.language).canned if desk is not None else ()
    customer_id = view.customer.customer_id
    profile = (
        None
        if fragment or customer_id is None
        else await db(request, lambda s: person_profile(s, customer_id, conversation_id))
    )
    return page(
        "_transcript.html" if fragment else "conversation.html",
        status=status,
        staff=staff,
        view=view,
        error=error,
        colleagues=colleagues,
        canned=canned,
        profile=profile,
    )


@requires(StaffRole.AGENT.value)
async def conversation_page(request: web.Request, staff: Staff) -> web.Response:
    conversation_id = int_param(request, "conversation_id")
    response = await _conversation(request, staff, conversation_id)
    # Opening the page is what the audit log records; its live refreshes (the fragment) are not.
    if response.status == 200:
        actor = audit.Actor(staff.username, staff.id)
        await db(request, lambda s: audit.record(s, actor, audit.TRANSCRIPT_OPENED, f"conversation:{conversation_id}"))
    return response


@requires(StaffRole.AGENT.value)
async def transcript_fragment(request: web.Request, staff: Staff) -> web.Response:
    return await _conversation(request, staff, int_param(request, "conversation_id"), fragment=True)


async def _act(request: web.Request, staff: Staff, conversation_id: int, action) -> web.Response:
    """Run a desk action; back to the conversation, or the page again with why it was refused."""
    not_ready = _not_ready(request)
    if not_ready is not None:
        return not_ready
    try:
        await action()
    except AlreadyClaimed as taken:
        return await _conversation(request, staff, conversation_id, error=taken.reason, status=409)
    except TransitionRefused as refused:
        return await _conversation(request, staff, conversation_id, error=refused.reason, status=409)
    return redirect(f"/desk/conversations/{conversation_id}")


async def _handoff_conversation(request: web.Request, handoff_id: int) -> int | None:
    return await db(request, lambda s: getattr(s.get(HandoffRequest, handoff_id), "conversation_id", None))


def _handoff_action(method: str):
    @requires(StaffRole.AGENT.value)
    async def handler(request: web.Request, staff: Staff) -> web.Response:
        handoff_id = int_param(request, "handoff_id")
        conversation_id = await _handoff_conversation(request, handoff_id)
        if conversation_id is None:
            return refuse(request, 404, "there is no such request")
        form = await request.post()
        desk = desk_of(request)

        async def action():
            if method == "claim":
                await desk.claim(handoff_id, staff.id)
            elif method == "reply":
                via = row_id(str(form.get("via", "")))  # another of the person's channels
                await desk.reply(handoff_id, staff.id, str(form.get("text", "")), via=via)
            elif method == "resolve":
                await desk.resolve(handoff_id, staff.id)
            elif method == "transfer":
                to = row_id(str(form.get("to", "")))
                if to is None:
                    raise TransitionRefused("choose who takes over")
                await desk.transfer(handoff_id, staff.id, to)

        return await _act(request, staff, conversation_id, action)

    handler.__name__ = f"handoff_{method}"
    return handler


@requires(StaffRole.AGENT.value)
async def add_note(request: web.Request, staff: Staff) -> web.Response:
    conversation_id = int_param(request, "conversation_id")
    if await db(request, lambda s: s.get(Conversation, conversation_id)) is None:
        return refuse(request, 404, "there is no such conversation")
    form = await request.post()
    return await _act(
        request,
        staff,
        conversation_id,
        lambda: desk_of(request).add_note(conversation_id, staff.id, str(form.get("text", ""))),
    )


def _decision(approve: bool):
    @requires(StaffRole.MANAGER.value)
    async def handler(request: web.Request, staff: Staff) -> web.Response:
        compensation_id = int_param(request, "compensation_id")
        try:
            conversation_id = await db(request, lambda s: compensations_conversation(s, compensation_id))
        except TransitionRefused as missing:
            return refuse(request, 404, missing.reason)
        return await _act(
            request,
            staff,
            conversation_id,
            lambda: desk_of(request).decide_compensation(compensation_id, staff.id, approve=approve),
        )

    handler.__name__ = "approve" if approve else "decline"
    return handler


# --- wiring -----------------------------------------------------------------------------------


def _static(name: str, content_type: str):
    path = HERE / "static" / name

    async def serve(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(
            path,
            headers={"Content-Type": content_type},
        )

    return serve


async def _stop_streams(app: web.Application) -> None:
    app[STATE].stopping.set()


def add_routes(
    app: web.Application, settings: Settings, sessions: sessionmaker, desk: Callable[[], Desk | None]
) -> None:
    secret = auth.secret_key(settings.secret_key, settings.data_dir)
    limiter = auth.LoginLimiter(settings.desk_login_attempts, settings.desk_login_window_minutes * 60)
    app[STATE] = ConsoleState(settings, secret, limiter, asyncio.Event(), sessions, desk)
    app.router.add_get("/desk/login", login_page)
    app.router.add_post("/desk/login", login)
    app.router.add_get("/desk/static/desk.js", _static("desk.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/desk/static/desk.css", _static("desk.css", "text/css; charset=utf-8"))
    for path, method, handler in CONSOLE_ROUTES:
        app.router.add_route(method, path, handler)
    app.on_shutdown.append(_stop_streams)


# Every route that needs a signed-in staff member (tests walk this list).
CONSOLE_ROUTES = [
    ("/desk/logout", "POST", logout),
    ("/desk", "GET", queue_page),
    ("/desk/queue", "GET", queue_fragment),
    ("/desk/events", "GET", events),
    ("/desk/conversations/{conversation_id}", "GET", conversation_page),
    ("/desk/conversations/{conversation_id}/transcript", "GET", transcript_fragment),
    ("/desk/conversations/{conversation_id}/notes", "POST", add_note),
    ("/desk/handoffs/{handoff_id}/claim", "POST", _handoff_action("claim")),
    ("/desk/handoffs/{handoff_id}/reply", "POST", _handoff_action("reply")),
    ("/desk/handoffs/{handoff_id}/resolve", "POST", _handoff_action("resolve")),
    ("/desk/handoffs/{handoff_id}/transfer", "POST", _handoff_action("transfer")),
    ("/desk/compensations/{compensation_id}/approve", "POST", _decision(True)),
    ("/desk/compensations/{compensation_id}/decline", "POST", _decision(False)),
    ("/desk/users", "GET", users.users_page),
    ("/desk/users", "POST", users.add_user),
    ("/desk/users/{user_id}/disable", "POST", users.disable_user),
    ("/desk/audit", "GET", privacy.audit_page),
    ("/desk/privacy", "GET", privacy.privacy_page),
    ("/desk/privacy/export", "POST", privacy.export),
    ("/desk/privacy/erase", "POST", privacy.erase),
    ("/desk/followups", "GET", followups.followups_page),
    ("/desk/followups/{followup_id}/cancel", "POST", followups.cancel_followup),
    ("/desk/customers/{customer_id}", "GET", people.profile_page),
    ("/desk/customers/{customer_id}/merge", "POST", people.merge_profiles),
    ("/desk/merges/{merge_id}/undo", "POST", people.undo_merge),
]
