"""A stand-in for the staff console's login in the dashboard tests: the role comes from the request
itself (a test header or cookie). The routes and pages behind it are the real ones."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from aiohttp import web


def stand_in_guard(role_of: Callable[[web.Request], str | None]):
    """A guard shaped like the console's (`guard(roles)` decorates a handler), reading the role with `role_of`."""

    def guard(roles):
        def decorate(handler):
            @wraps(handler)
            async def guarded(request: web.Request):
                if role_of(request) not in roles:
                    raise web.HTTPForbidden(reason="managers only")
                return await handler(request)

            return guarded

        return decorate

    return guard
