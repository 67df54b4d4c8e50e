"""The security headers of every staff and manager response (/desk and /dashboard), in one place.

Staff pages show customer text: the Content-Security-Policy is the second line behind escaping,
`frame-ancestors 'none'` stops click-jacking, `no-store` keeps transcripts and exports out of
shared caches and the browser's disk, and `same-origin` keeps conversation ids out of Referer
headers sent elsewhere.
"""

from __future__ import annotations

from aiohttp import web

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
# The console runs only its own script and stylesheet.
DESK_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The dashboard runs no script at all; its stylesheet is inline in each page (bot/dashboard/layout.py).
DASHBOARD_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
AREAS = {"/desk": DESK_POLICY, "/dashboard": DASHBOARD_POLICY}


def headers_for(path: str) -> dict[str, str] | None:
    """The headers a response on `path` must carry, or None outside the staff areas."""
    for prefix, policy in AREAS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return {"Content-Security-Policy": policy, **_COMMON}
    return None


@web.middleware
async def staff_headers(request: web.Request, handler):
    """Add the headers to every staff and manager response, errors and redirects included."""
    headers = headers_for(request.path)
    if headers is None:
        return await handler(request)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers.update(headers)
        raise
    # A stream (the desk's server-sent events) sent its headers already; it carries no document.
    if not response.prepared:
        response.headers.update(headers)
    return response
