"""The staff console's access rules: who is asking, what their role allows, and the CSRF check;
also the page helpers every console route uses. The security notes are in routes.py."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from aiohttp import web
from sqlalchemy.orm import sessionmaker

from bot.desk import auth
from bot.desk.service import Desk
from bot.privacy import audit
from bot.storage.database import run_in_session
from bot.storage.ids import row_id
from bot.storage.models import StaffUser

if TYPE_CHECKING:
    from bot.app.settings import Settings

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "cxdesk_session"
LOGIN_COOKIE = "cxdesk_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every template, whatever its name: customer text is never markup
    undefined=jinja2.StrictUndefined,
)


@dataclass
class ConsoleState:
    settings: Settings
    secret: bytes
    limiter: auth.LoginLimiter
    stopping: asyncio.Event
    sessions: sessionmaker
    desk: Callable[[], Desk | None]  # the desk once the assistant is loaded, None before


STATE = web.AppKey("desk_console", ConsoleState)


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member of a request."""

    id: int
    username: str
    name: str
    role: str
    token: str
    csrf: str

    def can(self, role: str) -> bool:
        return auth.RANK.get(self.role, 0) >= auth.RANK[role]


# --- responses --------------------------------------------------------------------------------


def page(template: str, status: int = 200, **values) -> web.Response:
    html = _templates.get_template(template).render(**values)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def redirect(location: str) -> web.Response:
    # Returned, not raised: the server's JSON error middleware would turn a raised one into JSON.
    return web.Response(status=303, headers={"Location": location})


def refuse(request: web.Request, status: int, message: str) -> web.Response:
    if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
        return page("message.html", status=status, title="Not allowed", message=message, staff=None)
    return web.json_response({"error": message}, status=status)


def desk_of(request: web.Request) -> Desk | None:
    return request.app[STATE].desk()


async def db(request: web.Request, work):
    return await run_in_session(request.app[STATE].sessions, work)


# --- who is asking ----------------------------------------------------------------------------


async def current_staff(request: web.Request) -> Staff | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        return None
    user: StaffUser | None = await db(request, lambda s: auth.session_user(s, token))
    if user is None:
        return None
    state = request.app[STATE]
    return Staff(user.id, user.username, user.display_name, user.role, token, auth.csrf_token(state.secret, token))


Handler = Callable[[web.Request, Staff], Awaitable[web.StreamResponse]]


def requires(role: str) -> Callable[[Handler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Sign-in, role and (for POST) CSRF checks before the handler runs."""

    def wrap(handler: Handler):
        @functools.wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            staff = await current_staff(request)
            if staff is None:
                if request.method == "GET" and "text/html" in request.headers.get("Accept", ""):
                    return redirect("/desk/login")
                return refuse(request, 401, "sign in to the staff console first")
            if not staff.can(role):
                return refuse(request, 403, f"this needs the {role} role")
            if request.method == "POST":
                offered = request.headers.get(CSRF_HEADER)
                if offered is None:
                    form = await request.post()
                    offered = form.get(CSRF_FIELD)
                if not auth.csrf_ok(request.app[STATE].secret, staff.token, str(offered) if offered else None):
                    return refuse(request, 403, "the form's security token is missing or wrong; reload the page")
            return await handler(request, staff)

        checked.required_role = role
        return checked

    return wrap


def guard(roles: tuple[str, ...]):
    """The console's sign-in, role and CSRF checks for pages that live elsewhere (the manager
    dashboard): a handler taking only the request, open to the least of `roles` and above."""
    least = min(roles, key=lambda role: auth.RANK[role])

    def decorate(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        async def with_staff(request: web.Request, staff: Staff) -> web.StreamResponse:
            request[audit.ACTOR_KEY] = audit.Actor(staff.username, staff.id)  # who the audit log names
            return await handler(request)

        return requires(least)(functools.wraps(handler)(with_staff))

    return decorate


def int_param(request: web.Request, name: str) -> int:
    """The row id in the URL; 404 when it cannot name a row (not a number, beyond 64 bits)."""
    number = row_id(request.match_info.get(name))
    if number is None:
        raise web.HTTPNotFound()
    return number


# The session is also the manager dashboard's (/dashboard), so its cookie covers the whole site;
# the login form's cookie only /desk.
COOKIE_PATHS = {SESSION_COOKIE: "/", LOGIN_COOKIE: "/desk"}


def set_cookie(response: web.Response, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATHS[name],
        httponly=True,
        samesite="Strict",
        secure=request.app[STATE].settings.desk_cookie_secure,
    )
