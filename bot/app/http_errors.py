"""The server's JSON errors and its middleware chain: every error leaves as JSON, and the security
headers go on every response."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.app.cluster.node import UNAVAILABLE
from bot.app.settings import Settings
from bot.app.staff_headers import security_headers
from bot.storage.database import UNREACHABLE

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 2


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
    except (*UNAVAILABLE, *UNREACHABLE) as unavailable:
        # Redis or the database is away (restarting), or a conversation's lock was not had in
        # time: try again soon.
        logger.warning("unavailable on %s %s: %s", request.method, request.path, unavailable)
        return web.json_response(
            {"error": "busy; try again shortly"}, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    except Exception:
        logger.exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


def middlewares(settings: Settings) -> tuple:
    """Outermost first: the security headers go on every response, the JSON errors' too."""
    return (security_headers(settings.widget_allowed_origins), json_errors)


# With the default settings (any site may embed the widget), for apps built as the server's.
MIDDLEWARES = middlewares(Settings())
